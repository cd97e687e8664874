"""The insight lifecycle on a real database: open, update, escalate, auto-resolve, reopen, dismiss, audit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from core.db.engine import transaction
from core.errors import ConflictError, NotFoundError, ValidationError
from core.governance.audit import list_events
from core.insights.findings import Finding, Priority
from core.insights.lifecycle import acknowledge, dismiss, get_insight, list_insights, resolve
from core.insights.rules import RuleRun
from core.insights.store import UpsertCounts, upsert_findings
from core.registry.prompts import create_prompt
from tests.insights.factories import NOW

RULE = "low_accuracy"


def _finding(priority: Priority = "high", key: str = "low_accuracy", value: float = 0.7) -> Finding:
    return Finding(RULE, key, "accuracy", priority, f"accuracy {value}", "d", ("act",), {"value": value})


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with transaction(engine) as s:
        create_prompt(s, name="p", actor="t@x.io")
        s.flush()
        yield s


def _run(
    session: Session, *findings: Finding, hours: int = 0, evaluated: frozenset[str] = frozenset({RULE})
) -> UpsertCounts:
    prompt_id = session.execute(text("SELECT id FROM prompts WHERE name = 'p'")).scalar_one()
    run = RuleRun(tuple(findings), evaluated)
    return upsert_findings(session, prompt_id=prompt_id, prompt="p", run=run, now=NOW + timedelta(hours=hours))


def test_open_update_and_auto_resolve(session: Session) -> None:
    first = _run(session, _finding(value=0.7))
    assert (first.opened, first.updated, first.resolved) == (1, 0, 0)
    [view] = list_insights(session, prompt="p")
    assert (view.status, view.evidence, view.first_seen_at) == ("open", {"value": 0.7}, NOW)

    second = _run(session, _finding(value=0.65), hours=1)
    assert (second.opened, second.updated) == (0, 1)
    view = get_insight(session, insight_id=view.id)
    assert view.evidence == {"value": 0.65}
    assert view.last_seen_at == NOW + timedelta(hours=1)

    cleared = _run(session, hours=2)
    assert cleared.resolved == 1
    view = get_insight(session, insight_id=view.id)
    assert (view.status, view.status_by, view.condition_present) == ("resolved", "system:insight-discovery", False)
    actions = [e.action for e in list_events(session, entity_type="insight", entity_id=str(view.id))]
    assert actions == ["insight.auto_resolved", "insight.opened"]


def test_a_rule_that_could_not_judge_leaves_its_insight_alone(session: Session) -> None:
    _run(session, _finding())
    counts = _run(session, hours=1, evaluated=frozenset())  # e.g. its data part failed this hour
    assert counts.resolved == 0
    assert list_insights(session)[0].status == "open"


def test_a_returning_condition_reopens_the_same_insight(session: Session) -> None:
    _run(session, _finding())
    _run(session, hours=1)
    again = _run(session, _finding(), hours=2)
    assert again.opened == 1
    [view] = list_insights(session)
    assert (view.status, view.times_opened) == ("open", 2)


def test_resolving_by_hand_while_the_condition_persists_reopens_at_the_next_run(session: Session) -> None:
    _run(session, _finding())
    [view] = list_insights(session)
    resolve(session, insight_id=view.id, actor="op@x.io", note="fixed the prompt")
    assert _run(session, _finding(), hours=1).opened == 1
    assert get_insight(session, insight_id=view.id).status == "open"


def test_dismissed_stays_dismissed_while_the_condition_persists(session: Session) -> None:
    _run(session, _finding())
    [view] = list_insights(session)
    dismissed = dismiss(session, insight_id=view.id, actor="op@x.io", note="known, accepted")
    assert (dismissed.status, dismissed.status_by, dismissed.status_note) == ("dismissed", "op@x.io", "known, accepted")
    for hour in (1, 2):
        counts = _run(session, _finding(value=0.6), hours=hour)
        assert (counts.opened, counts.updated, counts.critical) == (0, 0, [])
    view = get_insight(session, insight_id=view.id)
    assert (view.status, view.evidence["value"]) == ("dismissed", 0.6)  # silent, but kept current
    _run(session, hours=3)  # the condition clears ...
    assert get_insight(session, insight_id=view.id).status == "dismissed"
    assert _run(session, _finding(), hours=4).opened == 1  # ... and a new occurrence is reported
    assert get_insight(session, insight_id=view.id).status == "open"


def test_critical_is_reported_when_opened_or_escalated_once(session: Session) -> None:
    opened = _run(session, _finding("critical", key="a"), _finding("medium", key="b"))
    assert [ref.key for ref in opened.critical] == ["a"]
    assert opened.critical[0].prompt == "p"
    assert _run(session, _finding("critical", key="a"), _finding("medium", key="b"), hours=1).critical == []
    escalated = _run(session, _finding("critical", key="a"), _finding("critical", key="b"), hours=2)
    assert [ref.key for ref in escalated.critical] == ["b"]


def test_actions_are_audited_and_checked(session: Session) -> None:
    _run(session, _finding())
    [view] = list_insights(session)
    acked = acknowledge(session, insight_id=view.id, actor="op@x.io")
    assert acked.status == "acknowledged"
    with pytest.raises(ConflictError, match="only open insights"):
        acknowledge(session, insight_id=view.id, actor="op@x.io")
    with pytest.raises(ValidationError, match="note is required"):
        dismiss(session, insight_id=view.id, actor="op@x.io", note=" ")
    resolve(session, insight_id=view.id, actor="op2@x.io", note="done")
    with pytest.raises(ConflictError):
        dismiss(session, insight_id=view.id, actor="op@x.io", note="late")
    with pytest.raises(NotFoundError):
        get_insight(session, insight_id=999)
    events = list_events(session, entity_type="insight", entity_id=str(view.id))
    assert [(e.actor, e.action) for e in events][:2] == [
        ("op2@x.io", "insight.resolved"),
        ("op@x.io", "insight.acknowledged"),
    ]
    assert events[0].after == {"status": "resolved", "note": "done"}


def test_list_filters(session: Session) -> None:
    _run(session, _finding("critical", key="a"), _finding("low", key="b"))
    assert [v.key for v in list_insights(session)] == ["a", "b"]  # most urgent first
    assert [v.key for v in list_insights(session, priority=["low"])] == ["b"]
    assert list_insights(session, category=["cost"]) == []
    assert list_insights(session, prompt="other") == []
    with pytest.raises(ValidationError, match="unknown status"):
        list_insights(session, status=["closed"])
