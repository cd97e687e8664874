"""`promptloop insights|recommendations|reports` round trips on a real database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from core.config import Settings
from core.db.engine import transaction
from core.governance.audit import list_events
from core.governance.users import add_user, principal_for
from core.insights.findings import Finding
from core.insights.rules import RuleRun
from core.insights.store import upsert_findings
from core.recommend.weekly import finalise
from flows.cli.main import app
from tests.recommend.conftest import Registered
from tests.recommend.factories import NOW, analysis, section


@pytest.fixture
def runner(cli_env: dict[str, str]) -> CliRunner:
    return CliRunner(env=cli_env)


@pytest.fixture
def users(engine: Engine) -> None:
    """tester@example.com (the CLI's PROMPTLOOP_USER) is an operator; viewer@example.com only reads."""
    with transaction(engine) as s:
        add_user(s, actor=None, email="admin@example.com", role="admin")
        admin = principal_for(s, email="admin@example.com")
        add_user(s, actor=admin, email="tester@example.com", role="operator")
        add_user(s, actor=admin, email="viewer@example.com", role="viewer")


@pytest.fixture
def found(engine: Engine, settings: Settings, registered: Registered, users: None) -> None:
    findings = (
        Finding("regression_after_move", "regression:production:1.0.0->1.1.0", "regression", "critical",
                "1.1.0 regressed", "worse", ("roll back",), {"delta": -0.06}),
        Finding("oversized_token_budget", "cost:token_budget:1.0.0", "cost", "medium", "budget too big", "d", ()),
    )  # fmt: skip
    tests = (section("memory", "optional", 0.06, 1e-12), section("chatter", "optional", -0.04, 1e-9))
    with transaction(engine) as s:
        run = RuleRun(findings, frozenset({"regression_after_move", "oversized_token_budget"}))
        upsert_findings(s, prompt_id=registered.prompt_id, prompt="p", run=run, now=NOW)
        a = analysis(prompt_id=registered.prompt_id, version_id=registered.version_id, sections=tests)
        finalise(s, analyses=[a], errors={}, now=NOW, settings=settings, actor="flow:optimization-report")


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _fails(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ")
    assert "Traceback" not in result.output
    return result.output.strip()


@pytest.mark.usefixtures("found")
def test_insights_list_filter_and_act(runner: CliRunner, engine: Engine) -> None:
    listed = json.loads(_ok(runner, "insights", "list", "--json"))
    assert [(i["priority"], i["status"]) for i in listed] == [("critical", "open"), ("medium", "open")]
    critical = listed[0]["id"]
    text = _ok(runner, "insights", "list", "--prompt", "p", "--priority", "critical")
    assert text.strip().splitlines() == [f"#{critical:<4} critical open         regression  p: 1.1.0 regressed"]
    assert _ok(runner, "insights", "list", "--status", "dismissed").strip() == "no insights"
    assert (
        _ok(runner, "insights", "ack", str(critical), "--note", "looking") == f"insight #{critical} is acknowledged\n"
    )
    assert "resolved" in _ok(runner, "insights", "resolve", str(critical), "--note", "rolled back")
    cost = listed[1]["id"]
    assert "dismissed" in _ok(runner, "insights", "dismiss", str(cost), "--note", "budget is a hard cap on purpose")
    assert "only open or acknowledged" in _fails(runner, "insights", "dismiss", str(critical), "--note", "again")
    assert "no insight #999" in _fails(runner, "insights", "ack", "999")
    shown = _ok(runner, "insights", "show", str(cost))
    assert "dismissed by tester@example.com" in shown
    assert "budget is a hard cap on purpose" in shown
    with transaction(engine) as s:
        [event] = list_events(s, entity_type="insight", entity_id=str(cost), action="insight.dismissed")
    assert event.actor == "tester@example.com"


@pytest.mark.usefixtures("found")
def test_recommendations_list_accept_reject(runner: CliRunner) -> None:
    listed = json.loads(_ok(runner, "recommendations", "list", "--json"))
    by_key = {r["key"]: r for r in listed}
    assert set(by_key) == {"section:memory", "section:chatter"}
    assert all(r["observational"] and r["status"] == "new" for r in listed)
    memory, chatter = by_key["section:memory"]["id"], by_key["section:chatter"]["id"]
    assert "[observational]" in _ok(runner, "recommendations", "list", "--prompt", "p", "--status", "new")
    assert _ok(runner, "recommendations", "accept", str(memory), "--note", "try it") == (
        f"recommendation #{memory} is accepted\n"
    )
    assert "rejected" in _ok(runner, "recommendations", "reject", str(chatter), "--note", "users like it")
    assert "only new ones" in _fails(runner, "recommendations", "accept", str(chatter))
    decided = json.loads(_ok(runner, "recommendations", "list", "--status", "accepted", "--json"))
    assert [(r["id"], r["decided_by"], r["decision_note"]) for r in decided] == [
        (memory, "tester@example.com", "try it")
    ]
    assert "rejected by tester@example.com" in _ok(runner, "recommendations", "show", str(chatter))


@pytest.mark.usefixtures("found")
def test_reports_list_show_and_download(runner: CliRunner, tmp_path: Path) -> None:
    [report] = json.loads(_ok(runner, "reports", "list", "--json"))
    assert (report["prompts"], report["recommendations"]) == (1, 2)
    assert "1 prompts, 2 recommendations" in _ok(runner, "reports", "list")
    markdown = _ok(runner, "reports", "show", str(report["id"]))
    assert markdown.startswith("# Weekly optimization report")
    target = tmp_path / "report.json"
    assert "wrote report" in _ok(runner, "reports", "show", str(report["id"]), "--format", "json", "-o", str(target))
    content = json.loads(target.read_text())
    assert content["id"] == report["id"]
    assert len(content["content"]["recommendations"]) == 2
    assert "no report #99" in _fails(runner, "reports", "show", "99")
    bad = runner.invoke(app, ["reports", "show", str(report["id"]), "--format", "pdf"])
    assert bad.exit_code == 2


@pytest.mark.usefixtures("found")
def test_viewers_cannot_review(runner: CliRunner) -> None:
    [insight] = [i for i in json.loads(_ok(runner, "insights", "list", "--json")) if i["priority"] == "critical"]
    refused = _fails(runner, "--user", "viewer@example.com", "insights", "ack", str(insight["id"]), "--note", "x")
    assert "viewer" in refused
    [rec, *_] = json.loads(_ok(runner, "recommendations", "list", "--json"))
    refused = _fails(runner, "--user", "viewer@example.com", "recommendations", "accept", str(rec["id"]))
    assert "viewer" in refused
    assert json.loads(_ok(runner, "recommendations", "list", "--json"))[0]["status"] == "new"
