"""Redaction of free text before storage: each built-in pattern, near misses, configured extras."""

from __future__ import annotations

import pytest

from core.config import Settings
from core.tracking.redaction import Redactor

redact = Redactor().redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jane.doe+x@mail.example.co.uk today", "write to [EMAIL] today"),
        ("key sk-proj-abcdEFGH1234ijklMNOP5678 leaked", "key [SECRET] leaked"),
        ("token ghp_0123456789abcdefghijABCDEFGHIJ012345", "token [SECRET]"),
        ("aws AKIAIOSFODNN7EXAMPLE here", "aws [SECRET] here"),
        ("Authorization: Bearer abc.def-ghi_jkl~mno/pqr", "Authorization: [SECRET]"),
        ("jwt eyJhbGciOi.eyJzdWIiOiIx.SflKxwRJSM", "jwt [SECRET]"),
        ("password=hunter22!", "[SECRET]"),
        ("card 4111 1111 1111 1111 expires", "card [CARD] expires"),
        ("card 4111-1111-1111-1111", "card [CARD]"),
        ("call +33 6 12 34 56 78 now", "call [PHONE] now"),
        ("call 555-123-4567", "call [PHONE]"),
        ("on 2026-02-08 call 555-123-4567", "on 2026-02-08 call [PHONE]"),
        ("call 555.123.4567 at 16:00", "call [PHONE] at 16:00"),
        ("appelle le 06 12 34 56 78", "appelle le [PHONE]"),
    ],
)
def test_builtin_patterns(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "meeting on 2026-11-20 at 10:15",
        "moved to 2026-02-08 16:00 by the user",
        "moved to 2026/2/8 16 00",
        "moved to 08.02.2026 16:00:00",
        "from 2026-02-08 16:00 to 2026-02-09 09:30",
        "order 4111111111111112 shipped",  # fails the Luhn check
        "ticket 1234567890 reopened",  # an unseparated id, not a phone number
        "version 1.2.3 and 3.14159",
        "the key point is clarity",
        "",
    ],
)
def test_near_misses_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_configured_extra_pattern_from_settings() -> None:
    settings = Settings(redaction_patterns={"EMPLOYEE_ID": r"EMP-\d{6}"})
    redactor = Redactor(settings.redaction_patterns)
    assert redactor.redact("EMP-123456 emailed bob@x.io") == "[EMPLOYEE_ID] emailed [EMAIL]"


def test_invalid_extra_pattern_is_refused_by_settings() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        Settings(redaction_patterns={"BAD": "("})
