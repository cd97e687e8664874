"""Flow wiring with Prefect's test harness, on demo data; the logic itself is tested through core."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from core.config import Settings
from core.db.engine import transaction
from core.governance.changes import propose_rollback
from core.governance.decisions import approve
from core.governance.queries import get_change_request, list_change_requests
from core.governance.recommendations import linked_recommendation_ids
from core.governance.review import decide_recommendation
from core.governance.rules import GovernanceRules
from core.governance.users import add_user, principal_for
from core.insights.lifecycle import list_insights
from core.notify.channels import add_channel
from core.notify.webhook import verify_signature
from core.recommend.report import get_report
from core.recommend.store import list_recommendations
from core.registry.labels import current_labels, label_history
from core.registry.prompts import get_prompt
from flows.insight_discovery import insight_discovery
from flows.optimization_report import optimization_report
from flows.policy_update import policy_update
from tests.notify.conftest import Receiver

END = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("flow_env")


def _seed(engine: Engine, scale: float = 0.3) -> None:
    from core.demo.seed import seed_demo

    seed_demo(engine, scale=scale, seed=7, end=END)


def _people(engine: Engine) -> dict[str, Any]:
    with transaction(engine) as s:
        add_user(s, actor=None, email="admin@x.io", role="admin")
        admin = principal_for(s, email="admin@x.io")
        for name in ("alice", "bob"):
            add_user(s, actor=admin, email=f"{name}@x.io", role="operator")
        return {name: principal_for(s, email=f"{name}@x.io") for name in ("admin", "alice", "bob")}


def test_discovery_and_report_flows_find_the_planted_problems(engine: Engine) -> None:
    _seed(engine, scale=0.1)
    summary = insight_discovery(now=NOW)
    assert summary["prompts"] == 5
    assert summary["errors"] == {}
    assert summary["partial_errors"] == {}  # every part and rule ran for every prompt
    assert summary["critical"] == 1  # the planted regression
    with transaction(engine) as s:
        critical = list_insights(s, priority=["critical"])
        assert [(i.prompt, i.category) for i in critical] == [("dimension_extraction", "regression")]
    again = insight_discovery(now=NOW)
    assert again["opened"] == 0  # idempotent: the second hour updates, it does not reopen
    assert again["critical"] == 0
    report = optimization_report(now=NOW)
    assert report["errors"] == {}
    with transaction(engine) as s:
        stored = get_report(s, report_id=report["report_id"])
        assert "memory_recall_snippets" in stored.markdown
        kinds = {(r.prompt, r.kind) for r in list_recommendations(s)}
    assert ("thought_to_intent", "section_add") in kinds
    assert ("planning", "token_budget") in kinds


def test_critical_insights_are_notified_through_a_signed_webhook(engine: Engine, receiver: Receiver) -> None:
    people = _people(engine)
    with transaction(engine) as s:
        channel = add_channel(s, actor=people["admin"], name="ops", kind="webhook", url=f"{receiver.url}/ok",
                              events=["insight.critical"])  # fmt: skip
    _seed(engine, scale=0.1)
    summary = insight_discovery(now=NOW)
    assert summary["notifications_queued"] == 1
    assert summary["notifications_sent"] == 1
    [request] = receiver.at("/ok")
    assert b"dimension_extraction" in request.body
    assert verify_signature(
        channel.secret,
        timestamp=request.headers["x-promptloop-timestamp"],
        body=request.body,
        signature=request.headers["x-promptloop-signature"],
        now=time.time(),
    )


def test_policy_update_end_to_end(engine: Engine) -> None:
    """A recommendation becomes a request, is approved and applied, shows in the label history, and a
    rollback restores it; the post-apply watch opens a rollback for the planted regression."""
    people = _people(engine)
    rules = GovernanceRules.from_settings(Settings())
    _seed(engine, scale=0.3)
    optimization_report(now=NOW)
    with transaction(engine) as s:
        [memory] = [r for r in list_recommendations(s, prompt="thought_to_intent") if r.kind == "section_add"]
        decide_recommendation(s, actor=people["alice"], recommendation_id=memory.id, decision="accept", note="go")
        before = current_labels(s, prompt=get_prompt(s, name="thought_to_intent"))["production"]

    summary = policy_update(now=NOW)
    assert summary["errors"] == {}
    [request_id] = summary["proposed"]
    with transaction(engine) as s:
        assert memory.id in linked_recommendation_ids(s)
        request = get_change_request(s, request_id=request_id).request
        assert (request.kind, request.status, request.requested_by) == (
            "policy_change",
            "pending",
            "flow:policy_update",
        )
        approve(s, actor=people["bob"], rules=rules, request_id=request_id, comment="the effect is solid")
    with transaction(engine) as s:
        prompt = get_prompt(s, name="thought_to_intent")
        after = current_labels(s, prompt=prompt)["production"]
        assert after != before
        last = label_history(s, prompt=prompt, label="production")[-1]
        assert (last.from_version, last.to_version, last.change_request_id) == (before, after, request_id)
        rollback = propose_rollback(s, actor=people["alice"], rules=rules, prompt_name="thought_to_intent",
                                    label="production", reason="confirming by experiment first")  # fmt: skip
    with transaction(engine) as s:
        approve(s, actor=people["bob"], rules=rules, request_id=rollback.request.id)
    with transaction(engine) as s:
        assert current_labels(s, prompt=get_prompt(s, name="thought_to_intent"))["production"] == before

    # the planted regression (dimension_extraction, promoted 9 days before the end) gets a rollback request
    [watched] = [r for r in summary["rollbacks"] if r["prompt"] == "dimension_extraction"]
    with transaction(engine) as s:
        request = get_change_request(s, request_id=watched["request_id"]).request
        assert (request.kind, request.status) == ("rollback", "pending")
        assert request.evidence["stats"]["confidence"] > 0.95
        assert "accuracy" in request.reason
    # the next day's run does not open a second one
    again = policy_update(now=NOW)
    assert again["proposed"] == []
    with transaction(engine) as s:
        open_rollbacks = list_change_requests(s, prompt_name="dimension_extraction", kind="rollback", status="pending")
    assert len(open_rollbacks) == 1
