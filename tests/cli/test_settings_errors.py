"""Invalid settings stop every command with one clear line naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.main import app
from tests.processes import free_port


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


def test_an_unmigrated_database_is_one_line_naming_the_fix(empty_database_url: str, tmp_path: Path) -> None:
    env = {"PROMPTLOOP_DATABASE_URL": empty_database_url, "PROMPTLOOP_HOME": str(tmp_path)}
    result = CliRunner(env=env).invoke(app, ["prompts", "list"])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: the database has no promptloop schema")
    assert "run `promptloop db migrate`" in lines[0]


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    port = free_port()  # nobody listens on it
    env = {"PROMPTLOOP_DATABASE_URL": f"postgresql://nobody@127.0.0.1:{port}/x", "PROMPTLOOP_HOME": str(tmp_path)}
    result = CliRunner(env=env).invoke(app, ["prompts", "list"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: cannot use the database (")
    assert "PROMPTLOOP_DATABASE_URL" in lines[0]
