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
    spaces, dots or dashes holding 9–15 digits (``555-123-4567``, ``06 12 34 56 78``). Dates are
    not phone numbers, nor is a date followed by a time (``2026-02-08 16:00``, ``08.02.2026 16 00``);
    an unseparated run of digits without ``+`` is not treated as one either (it is far more often an id).

Extra patterns come from ``Settings.redaction_patterns`` (name -> regular expression); a match
becomes ``[NAME]``. They run after the built-in ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

# Each SECRET alternative with the lower-cased marks one of which it contains (see _builtin_for).
_SECRETS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("sk-",), r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_\-]{16,}"),
    (("gh",), r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}"),
    (("github_pat_",), r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    (("xox",), r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    (("akia",), r"\bAKIA[0-9A-Z]{16}\b"),
    (("aiza",), r"\bAIza[0-9A-Za-z_\-]{35}"),
    (("eyj",), r"\beyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]{5,}"),
    (("bearer",), r"(?i:\bbearer\s+)[A-Za-z0-9._~+/\-]{16,}=*"),
    (
        ("key", "token", "secret", "passw"),
        r"(?i:\b(?:api[_\-]?key|access[_\-]?token|auth[_\-]?token|token|secret|password|passwd)\b\s*[:=]\s*)"
        r"[\"']?[^\s\"',;]{6,}[\"']?",
    ),
)
_SECRET = "|".join(pattern for _, pattern in _SECRETS)
_EMAIL = r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b"
_CARD = r"(?<![\w\-])\d(?:[ \-]?\d){12,18}(?![\w\-])"
# A calendar date (2026-02-08, 2026/2/8, 08.02.2026) is never the start of a phone number: without this,
# "2026-02-08 16:00" reads as four digit groups holding ten digits. Nor does a number start right after a
# dash, dot, slash or colon (the middle of a date, a version or a time).
_DATE = r"(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4})(?!\d)"
_PHONE = (
    r"(?<![\w+\-./:])(?!" + _DATE + r")(?:(?:\+|00)\d{1,4}(?:[ .\-]?\(?\d{1,5}\)?){2,6}"
    r"|\(?\d{2,5}\)?(?:[ .\-]\(?\d{2,5}\)?){2,5})(?![\w\-])"
)
_ALTERNATIVES = (("SECRET", _SECRET), ("EMAIL", _EMAIL), ("CARD", _CARD), ("PHONE", _PHONE))
# All of them in one alternation (earlier ones win where matches overlap); redact() uses the same
# alternation without the alternatives that cannot match the text at hand (_builtin_for).
BUILTIN = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _ALTERNATIVES))
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
        builtin = _builtin_for(text)
        result = builtin.sub(_replace_builtin, text) if builtin is not None else text
        for placeholder, pattern in self._compiled:
            result = pattern.sub(placeholder, result)
        return result


def _builtin_for(text: str) -> re.Pattern[str] | None:
    """The built-in patterns as one alternation in their order, without the alternatives that cannot
    match anywhere in ``text``; None if none can.

    The alternation is tried at every position of the text, and some alternatives (the
    case-insensitive secrets above all) cost microseconds each: a sentence with a digit took ~10 µs,
    one mentioning a "key" ~20 µs. An alternative that cannot match anywhere changes no result:
    EMAIL needs an "@", CARD and PHONE a digit, each secret one of its marks.
    """
    if text.isascii():
        lower = text.lower()
        secrets = 0  # bit i: the i-th secret alternative may match
        for mark, bit in _MARK_BITS:  # a plain loop: the cheapest way found to ask this in Python
            if mark in lower:
                secrets |= bit
    else:  # case-insensitive matching folds characters such as the Kelvin sign into ASCII letters
        secrets = (1 << len(_SECRETS)) - 1
    return _combined(secrets, "@" in text, _DIGIT.search(text) is not None)


_MARK_BITS = tuple((mark, 1 << i) for i, (marks, _) in enumerate(_SECRETS) for mark in marks)


@lru_cache(maxsize=256)
def _combined(secrets: int, email: bool, digit: bool) -> re.Pattern[str] | None:
    secret = "|".join(pattern for i, (_, pattern) in enumerate(_SECRETS) if secrets >> i & 1)
    kept = [
        (name, pattern)
        for name, pattern, keep in (("SECRET", secret, bool(secret)), ("EMAIL", _EMAIL, email), ("CARD", _CARD, digit),
                                    ("PHONE", _PHONE, digit))
        if keep
    ]  # fmt: skip
    return re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in kept)) if kept else None
