"""Invalid settings stop every command with one clear line naming the variable."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.cli.main import app


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PROMPTLOOP_TIMEZONE", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("PROMPTLOOP_CONSOLE_PORT", "99999", "less than or equal to 65535"),
        ("PROMPTLOOP_DATABASE_URL", "mysql://x@y/z", "Postgres is the only supported database"),
    ],
)
def test_invalid_setting_is_one_line(variable: str, value: str, message: str) -> None:
    result = CliRunner(env={variable: value}).invoke(app, ["flows", "list"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: invalid setting {variable}: ")
    assert message in lines[0]
