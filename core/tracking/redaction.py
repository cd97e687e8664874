"""Redaction of free text (errors, corrections) before it is stored.

Each match is replaced by a placeholder naming what was removed, so stored text stays readable
("call me at [PHONE]") and nothing of the secret is kept. Built-in patterns, applied in this order
(earlier ones win where matches overlap):

``[SECRET]``
    API keys and tokens: ``sk-...`` (OpenAI/Anthropic style), ``ghp_``/``gho_``/``github_pat_``
    (GitHub), ``xox?-`` (Slack), ``AKIA...`` (AWS access key ids), ``AIza...`` (Google), JWTs
    (``eyJ....eyJ....sig``), ``Bearer <token>``, and ``key/token/secret/password = value`` pairs.
``[EMAIL]``
    ``local@domain.tld``.
``[CARD]``
    13–19 digits, optionally grouped by spaces or dashes, that pass the Luhn checksum (so order
    numbers and timestamps are left alone).
``[PHONE]``
    ``+`` or ``00`` followed by 8–15 digits in groups; or three or more digit groups separated by
    spaces, dots or dashes holding 9–15 digits (``555-123-4567``, ``06 12 34 56 78``). Dates
    (``2026-11-20``: 8 digits) are not phone numbers; an unseparated run of digits without ``+``
    is not treated as one either (it is far more often an id).

Extra patterns come from ``Settings.redaction_patterns`` (name -> regular expression); a match
becomes ``[NAME]``. They run after the built-in ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_SECRET = "|".join(
    (
        r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}",
        r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}",
        r"\bgithub_pat_[A-Za-z0-9_]{20,}",
        r"\bxox[abprs]-[A-Za-z0-9\-]{10,}",
        r"\bAKIA[0-9A-Z]{16}\b",
        r"\bAIza[0-9A-Za-z_\-]{35}",
        r"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}",
        r"(?i:\bbearer\s+)[A-Za-z0-9._~+/\-]{16,}=*",
        r"(?i:\b(?:api[_\-]?key|access[_\-]?token|auth[_\-]?token|token|secret|password|passwd)\b\s*[:=]\s*)"
        r"[\"']?[^\s\"',;]{6,}[\"']?",
    )
)
_EMAIL = r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b"
_CARD = r"(?<![\w\-])\d(?:[ \-]?\d){12,18}(?![\w\-])"
_PHONE = (
    r"(?<![\w+])(?:(?:\+|00)\d{1,4}(?:[ .\-]?\(?\d{1,5}\)?){2,6}"
    r"|\(?\d{2,5}\)?(?:[ .\-]\(?\d{2,5}\)?){2,5})(?![\w\-])"
)
_BUILTIN = re.compile(
    rf"(?P<SECRET>{_SECRET})|(?P<EMAIL>{_EMAIL})|(?P<CARD>{_CARD})|(?P<PHONE>{_PHONE})",
)
_DIGIT = re.compile(r"\d")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _is_phone(text: str) -> bool:
    digits = len(_DIGIT.findall(text))
    if text.startswith(("+", "00")):
        return 8 <= digits <= 15
    return 9 <= digits <= 15


def _replace_builtin(match: re.Match[str]) -> str:
    kind = match.lastgroup or ""
    text = match.group(0)
    if kind == "CARD":
        digits = "".join(_DIGIT.findall(text))
        if _luhn(digits):
            return "[CARD]"
        return _BUILTIN_PHONE.sub(_replace_phone, text)
    if kind == "PHONE":
        return _replace_phone(match)
    return f"[{kind}]"


_BUILTIN_PHONE = re.compile(_PHONE)


def _replace_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    return "[PHONE]" if _is_phone(text) else text


@dataclass(frozen=True)
class Redactor:
    """Replaces secrets, emails, card and phone numbers, then the configured extra patterns."""

    extra: Mapping[str, str] = field(default_factory=dict)
    _compiled: tuple[tuple[str, re.Pattern[str]], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = tuple((f"[{name.upper()}]", re.compile(pattern)) for name, pattern in self.extra.items())
        object.__setattr__(self, "_compiled", compiled)

    def redact(self, text: str | None) -> str | None:
        if not text:
            return text
        result = _BUILTIN.sub(_replace_builtin, text) if _may_contain_builtin(text) else text
        for placeholder, pattern in self._compiled:
            result = pattern.sub(placeholder, result)
        return result


_TRIGGERS = re.compile(r"[\d@]|sk-|gh[pousr]_|github_pat|xox|AKIA|AIza|eyJ|(?i:bearer|key|token|secret|passw)")


def _may_contain_builtin(text: str) -> bool:
    """Cheap pre-check: most texts have no digit, '@' or token prefix, and skip the big regex."""
    return _TRIGGERS.search(text) is not None
