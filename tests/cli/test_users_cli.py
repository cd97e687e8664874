"""`promptloop users ...` against the real database: bootstrap admin, roles, clear permission errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli.main import app


@pytest.fixture
def runner(cli_env: dict[str, str]) -> CliRunner:
    return CliRunner(env=cli_env)


def _run(runner: CliRunner, *args: str, user: str | None = None, stdin: str | None = None) -> tuple[int, str]:
    prefix = ["--user", user] if user else []
    result = runner.invoke(app, [*prefix, *args], input=stdin)
    return result.exit_code, result.output


def test_bootstrap_then_admin_manages_users(runner: CliRunner) -> None:
    code, out = _run(
        runner, "users", "add", "Root@X.io", "--role", "operator", "--password-stdin", stdin="pw-long-enough\n"
    )
    assert code == 0, out
    assert "added root@x.io as admin" in out
    assert "first user, so it is an admin" in out
    code, out = _run(runner, "users", "add", "op@x.io", "--role", "operator", "--no-password", user="root@x.io")
    assert (code, out.strip()) == (0, "added op@x.io as operator")
    code, out = _run(
        runner,
        "users",
        "add",
        "v@x.io",
        "--role",
        "viewer",
        "--name",
        "Vera",
        user="root@x.io",
        stdin="secret-pw\nsecret-pw\n",
    )
    assert code == 0, out
    code, out = _run(runner, "users", "set-role", "op@x.io", "admin", user="root@x.io")
    assert (code, out.strip()) == (0, "op@x.io is now admin")
    code, out = _run(runner, "users", "set-active", "v@x.io", "--inactive", user="op@x.io")
    assert (code, out.strip()) == (0, "v@x.io is now deactivated")
    code, out = _run(runner, "users", "list", "--json")  # reading needs no user
    assert code == 0, out
    users = {u["email"]: u for u in json.loads(out)}
    assert {e: (u["role"], u["active"], u["has_password"]) for e, u in users.items()} == {
        "op@x.io": ("admin", True, False),
        "root@x.io": ("admin", True, True),
        "v@x.io": ("viewer", False, True),
    }
    assert users["v@x.io"]["display_name"] == "Vera"
    assert "password_hash" not in users["v@x.io"]


@pytest.mark.parametrize(
    ("args", "user", "message"),
    [
        (
            ["users", "add", "x@x.io", "--role", "viewer", "--no-password"],
            "op@x.io",
            "op@x.io is a operator and may not manage users",
        ),
        (["users", "add", "x@x.io", "--role", "viewer", "--no-password"], None, "this command acts as a user"),
        (["users", "add", "x@x.io", "--role", "viewer", "--no-password"], "ghost@x.io", "unknown user 'ghost@x.io'"),
        (["users", "set-role", "root@x.io", "viewer"], "root@x.io", "last active admin"),
        (["users", "set-role", "op@x.io", "boss"], "root@x.io", "role must be one of viewer, operator, admin"),
        (["users", "add", "op@x.io", "--role", "viewer", "--no-password"], "root@x.io", "already exists"),
    ],
)
def test_errors_are_one_clear_line(runner: CliRunner, args: list[str], user: str | None, message: str) -> None:
    assert _run(runner, "users", "add", "root@x.io", "--role", "admin", "--no-password")[0] == 0
    assert _run(runner, "users", "add", "op@x.io", "--role", "operator", "--no-password", user="root@x.io")[0] == 0
    result = runner.invoke(app, (["--user", user] if user else []) + args, env={"PROMPTLOOP_USER": None})
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.startswith("error: ")
    assert len(result.output.strip().splitlines()) == 1
