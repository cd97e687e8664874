"""What the rollups hold: each prompt's time span and the versions, labels and segment values present.

Filters in the console offer only values that select something, and default to the span of data
that exists (demo data may end in the past). Reads rollups only, never raw executions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class DataSpan:
    """The first and last hour (UTC, hour starts) that hold executions of a prompt."""

    first_hour: datetime
    last_hour: datetime

    def days(self, tz: str) -> tuple[date, date]:
        """First and last day with data, in ``tz`` (a day holds the hours that start in it)."""
        zone = ZoneInfo(tz)
        return self.first_hour.astimezone(zone).date(), self.last_hour.astimezone(zone).date()


def data_spans(session: Session, *, prompt_ids: Sequence[int]) -> dict[int, DataSpan]:
    """prompt id -> its data span, for the given prompts that have any rollups.

    Two index probes per prompt (the rollups' primary key leads with prompt_id, hour).
    """
    if not prompt_ids:
        return {}
    rows = session.execute(
        text(
            "SELECT p.id, s.first_hour, s.last_hour FROM unnest(CAST(:ids AS bigint[])) AS p(id) "
            "CROSS JOIN LATERAL (SELECT min(hour) AS first_hour, max(hour) AS last_hour "
            "FROM rollups_hourly r WHERE r.prompt_id = p.id) s WHERE s.first_hour IS NOT NULL"
        ),
        {"ids": list(prompt_ids)},
    ).all()
    return {int(pid): DataSpan(first, last) for pid, first, last in rows}


@dataclass(frozen=True)
class FilterOptions:
    """Distinct values present in a prompt's rollups over a time range."""

    version_ids: tuple[int, ...] = ()
    labels: tuple[str, ...] = ()  # '' is "no label"
    # dimension -> the JSON values present (None: the attribute was missing), in a stable order
    segments: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.version_ids


def filter_options(
    session: Session, *, prompt_id: int, start: datetime, end: datetime, dimensions: Sequence[str] = ()
) -> FilterOptions:
    """Versions, labels and values of each segment dimension present in ``[start, end)`` (UTC-aware)."""
    rows = session.execute(
        text(
            "SELECT DISTINCT version_id, label, segment_key FROM rollups_hourly "
            "WHERE prompt_id = :prompt_id AND hour >= :start AND hour < :end"
        ),
        {"prompt_id": prompt_id, "start": start, "end": end},
    ).all()
    versions = {int(version_id) for version_id, _, _ in rows}
    labels = {label for _, label, _ in rows}
    segments: dict[str, set[str]] = {name: set() for name in dimensions}
    for _, _, key in rows:
        for name in dimensions:
            # JSON text keeps values of any type hashable and distinct (1 vs "1" vs true)
            segments[name].add(json.dumps((key or {}).get(name)))
    return FilterOptions(
        version_ids=tuple(sorted(versions)),
        labels=tuple(sorted(labels)),
        segments={name: tuple(json.loads(v) for v in sorted(values, key=_order)) for name, values in segments.items()},
    )


def _order(encoded: str) -> tuple[int, str]:
    """Missing values last; otherwise by their JSON text (strings alphabetically)."""
    return (1 if encoded == "null" else 0, encoded)
