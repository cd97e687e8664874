"""Finalising a weekly run on a real database: stored recommendations, supersede, decisions, hand-off, report."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from core.config import Settings
from core.db.engine import transaction
from core.errors import ConflictError, ValidationError
from core.governance.audit import list_events
from core.recommend.analysis import PromptAnalysis
from core.recommend.handoff import proposed_change
from core.recommend.report import get_report, list_reports
from core.recommend.store import accept, get_recommendation, list_recommendations, reject
from core.recommend.weekly import WeeklyOutcome, finalise
from tests.recommend.conftest import Registered
from tests.recommend.factories import NOW, analysis, budget, section

ACTOR = "flow:optimization-report"
MEMORY = section("memory", "optional", 0.06, 1e-12)
CHATTER = section("chatter", "optional", -0.04, 1e-9)


def _analysis(r: Registered, *tests: object, **changes: object) -> PromptAnalysis:
    return analysis(prompt_id=r.prompt_id, version_id=r.version_id, sections=tests, **changes)  # type: ignore[arg-type]


def _finalise(
    engine: Engine, settings: Settings, *analyses: PromptAnalysis, errors: dict[str, str] | None = None
) -> WeeklyOutcome:
    with transaction(engine) as s:
        return finalise(s, analyses=list(analyses), errors=errors or {}, now=NOW, settings=settings, actor=ACTOR)


def test_a_newer_run_supersedes_new_recommendations_and_keeps_decisions(
    engine: Engine, settings: Settings, registered: Registered
) -> None:
    first = _finalise(engine, settings, _analysis(registered, MEMORY, CHATTER, **budget(4000, 1400, 1150)))
    assert (first.recommendations, first.prompts) == (3, 1)
    with transaction(engine) as s:
        by_key = {r.key: r for r in list_recommendations(s)}
        accept(s, recommendation_id=by_key["token_budget"].id, actor="op@x.io", note="cheaper")
    second = _finalise(engine, settings, _analysis(registered, MEMORY, **budget(4000, 1400, 1150)))
    with transaction(engine) as s:
        old_memory = get_recommendation(s, recommendation_id=by_key["section:memory"].id)
        old_chatter = get_recommendation(s, recommendation_id=by_key["section:chatter"].id)
        new = {r.key: r for r in list_recommendations(s, status=["new"])}
        kept = get_recommendation(s, recommendation_id=by_key["token_budget"].id)
    assert (old_memory.status, old_memory.superseded_by_id) == ("superseded", new["section:memory"].id)
    assert (old_chatter.status, old_chatter.superseded_by_id) == ("superseded", None)
    assert old_chatter.status_detail == f"report #{second.report_id} no longer supports it"
    assert kept.status == "accepted"  # a decision is never superseded ...
    assert new["token_budget"].evidence["previous_decision"]["status"] == "accepted"  # ... and is cited


def test_a_failed_prompt_keeps_its_recommendations(engine: Engine, settings: Settings, registered: Registered) -> None:
    _finalise(engine, settings, _analysis(registered, MEMORY))
    outcome = _finalise(engine, settings, errors={"p": "RuntimeError: boom"})
    assert outcome.errors == {"p": "RuntimeError: boom"}
    with transaction(engine) as s:
        assert [r.status for r in list_recommendations(s)] == ["new"]
        assert get_report(s, report_id=outcome.report_id).content["errors"] == {"p": "RuntimeError: boom"}


def test_accept_and_reject_are_audited_once(engine: Engine, settings: Settings, registered: Registered) -> None:
    _finalise(engine, settings, _analysis(registered, MEMORY, CHATTER))
    with transaction(engine) as s:
        [chatter] = [r for r in list_recommendations(s) if r.key == "section:chatter"]
        with pytest.raises(ValidationError, match="note is required"):
            reject(s, recommendation_id=chatter.id, actor="op@x.io", note="")
        rejected = reject(s, recommendation_id=chatter.id, actor="op@x.io", note="users like it")
        assert (rejected.status, rejected.decided_by, rejected.decision_note) == (
            "rejected",
            "op@x.io",
            "users like it",
        )
        with pytest.raises(ConflictError, match="only new ones"):
            accept(s, recommendation_id=chatter.id, actor="op@x.io")
        events = list_events(s, entity_type="recommendation", entity_id=str(chatter.id))
        assert [(e.actor, e.action) for e in events] == [("op@x.io", "recommendation.rejected")]


def test_hand_off_builds_the_proposed_version(engine: Engine, settings: Settings, registered: Registered) -> None:
    _finalise(engine, settings, _analysis(registered, MEMORY, CHATTER, **budget(4000, 1400, 1150)))
    with transaction(engine) as s:
        recs = {r.key: r for r in list_recommendations(s)}
        with pytest.raises(ConflictError, match="accept it"):
            proposed_change(s, recommendation_id=recs["section:memory"].id)
        for rec in recs.values():
            accept(s, recommendation_id=rec.id, actor="op@x.io")
        add = proposed_change(s, recommendation_id=recs["section:memory"].id)
        remove = proposed_change(s, recommendation_id=recs["section:chatter"].id)
        cheaper = proposed_change(s, recommendation_id=recs["token_budget"].id)
    assert add.policy is not None
    assert "memory" in add.policy.required
    assert add.content.effective_policy().optional == ["chatter"]
    assert add.evidence["stats"]["confidence"] > 0.99
    assert add.evidence["links"]["recommendation_ids"] == [recs["section:memory"].id]
    assert remove.policy is not None
    assert remove.policy.banned == ["chatter"]
    assert "chatter" not in remove.content.section_ids
    assert "safety" in remove.content.effective_policy().required  # the guardrail stays
    assert (cheaper.token_budget, cheaper.content.token_budget, cheaper.policy) == (1400, 1400, None)
    assert (add.label, add.base_version) == ("production", "1.0.0")


def test_the_report_is_stored_with_markdown_and_chart_data(
    engine: Engine, settings: Settings, registered: Registered
) -> None:
    flat = section("chatter", "optional", 0.001, 0.9)
    outcome = _finalise(engine, settings, _analysis(registered, MEMORY, flat))
    with transaction(engine) as s:
        [summary] = list_reports(s)
        report = get_report(s, report_id=outcome.report_id)
        events = list_events(s, entity_type="report", entity_id=str(outcome.report_id))
    assert (summary.id, summary.prompts, summary.recommendations) == (outcome.report_id, 1, 1)
    assert report.content["multiple_testing"]["tests"] == 2
    [prompt] = report.content["prompts"]
    assert [row["label"] for row in prompt["charts"]["section_effects"]["rows"]] == ["memory", "chatter"]
    assert report.content["not_recommended"][0]["subject"] == "chatter"
    assert "# Weekly optimization report" in report.markdown
    assert "observational" in report.markdown
    assert "| p | chatter | +0.0010 |" in report.markdown
    assert [e.action for e in events] == ["report.created"]
