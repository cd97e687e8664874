"""The review loop through the CLI on the real database: users → propose → list → approve → rollback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.main import app
from tests.cli.test_prompts_cli import V1

ADMIN, OP1, OP2, VIEWER = "admin@x.io", "op1@x.io", "op2@x.io", "viewer@x.io"


@pytest.fixture
def runner(cli_env: dict[str, str]) -> CliRunner:
    return CliRunner(env=cli_env | {"PROMPTLOOP_USER": ""})


def _ok(runner: CliRunner, *args: str, user: str | None = None, stdin: str | None = None) -> str:
    result = runner.invoke(app, ([*("--user", user)] if user else []) + list(args), input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def _fails(runner: CliRunner, *args: str, user: str | None = None) -> str:
    result = runner.invoke(app, ([*("--user", user)] if user else []) + list(args))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ")
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output.strip()


@pytest.fixture
def seeded(runner: CliRunner, tmp_path: Path) -> CliRunner:
    _ok(runner, "users", "add", ADMIN, "--role", "admin", "--password-stdin", stdin="admin-password\n")
    for email, role in ((OP1, "operator"), (OP2, "operator"), (VIEWER, "viewer")):
        _ok(runner, "users", "add", email, "--role", role, "--no-password", user=ADMIN)
    v1, v2 = tmp_path / "v1.yaml", tmp_path / "v2.yaml"
    v1.write_text(V1)
    v2.write_text(V1.replace("token_budget: 1200", "token_budget: 900"))
    _ok(runner, "prompts", "create", "thought_to_intent", user=ADMIN)
    out = _ok(
        runner,
        "prompts",
        "add-version",
        "thought_to_intent",
        "-f",
        str(v1),
        "--label",
        "production",
        "--reason",
        "launch",
        "--apply",
        user=ADMIN,
    )
    assert "applied change request #1: label production: ∅ → 1.0.0" in out
    _ok(runner, "prompts", "add-version", "thought_to_intent", "-f", str(v2), user=ADMIN)
    return runner


def _history(runner: CliRunner) -> list[dict]:
    return json.loads(_ok(runner, "prompts", "history", "thought_to_intent", "--label", "production", "--json"))


def test_review_round_trip(seeded: CliRunner) -> None:
    runner = seeded
    out = _ok(
        runner, "prompts", "label", "thought_to_intent", "1.1.0", "-l", "production", "--reason", "cheaper", user=OP1
    )
    assert "opened change request #2 promote: thought_to_intent production 1.0.0 → 1.1.0" in out
    assert "promptloop changes approve 2" in out
    assert [h["to_version"] for h in _history(runner)] == ["1.0.0"]  # nothing moved yet

    listed = json.loads(_ok(runner, "changes", "list", "--json"))  # reading needs no user
    assert [(c["id"], c["status"], c["kind"], c["requested_by"]) for c in listed] == [
        (2, "pending", "promote_version", OP1),
        (1, "applied", "promote_version", ADMIN),
    ]
    assert listed[0]["diff_summary"] == ["~ token_budget"]
    assert "#2  pending" in _ok(runner, "changes", "list", "--status", "pending", "--prompt", "thought_to_intent")

    assert "two-person rule" in _fails(runner, "changes", "approve", "2", user=OP1)
    assert "viewer@x.io is a viewer and may not approve change requests" in _fails(
        runner, "changes", "approve", "2", user=VIEWER
    )
    assert "this command acts as a user" in _fails(runner, "changes", "approve", "2")
    _ok(runner, "changes", "comment", "2", "--text", "budget checked against the report", user=OP2)
    out = _ok(runner, "changes", "approve", "2", "--comment", "ok", user=OP2)
    assert "approved change request #2" in out
    assert "applied change request #2: label production: 1.0.0 → 1.1.0" in out
    assert "already applied by op2@x.io" in _fails(runner, "changes", "approve", "2", user=ADMIN)

    last = _history(runner)[-1]
    assert (last["from_version"], last["to_version"], last["actor"], last["change_request_id"]) == (
        "1.0.0",
        "1.1.0",
        OP2,
        2,
    )
    assert last["reason"] == "cheaper"
    shown = json.loads(_ok(runner, "changes", "show", "2", "--json"))
    assert [c["body"] for c in shown["comments"]] == ["budget checked against the report", "ok"]
    assert [h["action"] for h in shown["history"]] == [
        "change_request.opened",
        "change_request.commented",
        "change_request.approved",
        "change_request.applied",
    ]
    assert [m["to_version"] for m in shown["label_moves"]] == ["1.1.0"]
    text = _ok(runner, "changes", "show", "2")
    assert "-## token_budget: 1200" in text
    assert "+## token_budget: 900" in text
    assert "decided by op2@x.io" in text

    assert "needs the admin role" in _fails(
        runner, "prompts", "rollback", "thought_to_intent", "-l", "production", "--reason", "x", "--apply", user=OP1
    )
    out = _ok(
        runner, "prompts", "rollback", "thought_to_intent", "-l", "production", "--reason", "regression", user=OP1
    )
    assert "opened change request #3 rollback: thought_to_intent production 1.1.0 → 1.0.0" in out
    assert "applied change request #3: label production: 1.1.0 → 1.0.0" in _ok(
        runner, "changes", "approve", "3", user=OP2
    )
    last = _history(runner)[-1]
    assert (last["to_version"], last["kind"], last["change_request_id"]) == ("1.0.0", "rollback", 3)
    shown = json.loads(_ok(runner, "prompts", "show", "thought_to_intent", "--json"))
    assert shown["labels"] == {"production": "1.0.0"}

    _ok(runner, "prompts", "label", "thought_to_intent", "1.1.0", "-l", "production", "--reason", "again", user=OP1)
    assert "needs a comment" not in _ok(runner, "changes", "reject", "4", "--comment", "not now", user=OP2)
    rejected = json.loads(_ok(runner, "changes", "list", "--status", "rejected", "--json"))
    assert [c["id"] for c in rejected] == [4]
    assert "is already rejected" in _fails(runner, "changes", "approve", "4", user=ADMIN)


def test_admin_applies_at_once_only_what_skips_no_reviewer_and_errors_stay_one_line(seeded: CliRunner) -> None:
    runner = seeded
    hotfix = ("prompts", "label", "thought_to_intent", "1.1.0", "--reason", "hotfix", "--apply")
    refused = _fails(runner, *hotfix, "-l", "production", user=ADMIN)  # in use: a second person decides
    assert "needs another operator's approval under the two-person rule" in refused
    assert "unknown change request #2" in _fails(runner, "changes", "show", "2")  # nothing was written
    out = _ok(runner, *hotfix, "-l", "canary", user=ADMIN)  # a label's first version
    assert "applied change request #2: label canary: ∅ → 1.1.0" in out
    assert "unknown change request #99" in _fails(runner, "changes", "show", "99")
    assert "unknown user 'ghost@x.io'" in _fails(runner, "changes", "approve", "2", user="ghost@x.io")
    assert "already points at 1.1.0" in _fails(
        runner, "prompts", "label", "thought_to_intent", "1.1.0", "-l", "canary", "--reason", "x", user=OP1
    )
    assert "unknown status" in _fails(runner, "changes", "list", "--status", "done")
    assert "is already applied" in _fails(runner, "changes", "reject", "2", "--comment", "too late", user=OP1)
    assert "nothing is due" in _ok(runner, "changes", "apply-due", user=OP1)


def test_an_apply_after_time_without_offset_is_in_the_configured_time_zone(seeded: CliRunner) -> None:
    paris = CliRunner(env={**seeded.env, "PROMPTLOOP_TIMEZONE": "Europe/Paris"})  # type: ignore[dict-item]
    args = ("prompts", "label", "thought_to_intent", "1.1.0", "-l", "production", "--reason", "at nine")
    _ok(paris, *args, "--after", "2030-01-15T09:00", user=OP1)
    [request] = json.loads(_ok(paris, "changes", "list", "--json"))[:1]
    assert datetime.fromisoformat(request["apply_after"]) == datetime(2030, 1, 15, 8, tzinfo=UTC)  # 09:00 in Paris
