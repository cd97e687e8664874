"""Stable keys shared by ingestion and rollups: the section-set hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import lru_cache

SEPARATOR = "\x1f"  # ASCII unit separator: cannot occur in a section id


def canonical_sections(section_ids: Iterable[str]) -> tuple[str, ...]:
    """The included sections as a set: sorted, because the version fixes their order in the prompt."""
    return tuple(sorted(section_ids))


@lru_cache(maxsize=4096)
def _hash(canonical: tuple[str, ...]) -> str:
    return hashlib.sha256(SEPARATOR.join(canonical).encode("utf-8")).hexdigest()[:16]


def section_set_hash(section_ids: Iterable[str]) -> str:
    """First 16 hex digits of sha256 over the sorted ids joined by U+001F; order-independent.

    The same in SQL: ``left(encode(sha256(convert_to(array_to_string(<sorted ids>, chr(31)), 'UTF8')), 'hex'), 16)``.
    """
    return _hash(canonical_sections(section_ids))
