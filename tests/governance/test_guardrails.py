"""Guardrails: automation never weakens a guardrail section; thresholds; admin-only removal; auto-apply."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.db.engine import make_engine, transaction
from core.db.models.registry import PromptVersion
from core.errors import PermissionDeniedError, ValidationError
from core.governance.autoapply import get_auto_apply, set_auto_apply
from core.governance.changes import propose_policy_change, propose_promotion, propose_rollback
from core.governance.decisions import approve
from core.governance.errors import GuardrailRefusedError
from core.governance.evidence import Evidence
from core.governance.guardrails import (
    GuardrailFindings,
    check_auto_apply,
    check_automated_proposal,
    guardrail_changes,
    risk_class,
)
from core.governance.queries import get_change_request
from core.governance.roles import Principal
from core.registry.labels import current_labels
from core.registry.prompts import get_prompt
from core.registry.spec import parse_spec
from core.registry.versions import add_version
from tests.conftest import _scratch_database
from tests.governance.helpers import (
    ADMIN,
    FLOW,
    OP1,
    OP2,
    PROMPT,
    RULES,
    STRONG,
    audit_actions,
    make_people,
    make_prompt,
    without_guardrail,
)
from tests.registry.factories import content, spec_dict

BASE = content().canonical()


def _evidence(n: int = 500, confidence: float = 0.97) -> Evidence:
    return Evidence.model_validate({"stats": {"min_group_size": n, "confidence": confidence}})


# ---- pure rules -------------------------------------------------------------------------------


def test_guardrail_changes_name_removed_demoted_and_rewritten_sections() -> None:
    demoted = spec_dict()
    demoted["sections"][2] = dict(demoted["sections"][2], kind="required")
    rewritten = spec_dict()
    rewritten["sections"][2] = dict(rewritten["sections"][2], text="Be nice.")
    assert guardrail_changes(BASE, without_guardrail().canonical()) == GuardrailFindings(removed=("safety_guardrails",))
    assert guardrail_changes(BASE, parse_spec(demoted).content().canonical()).demoted == ("safety_guardrails",)
    assert guardrail_changes(BASE, parse_spec(rewritten).content().canonical()).rewritten == ("safety_guardrails",)
    assert guardrail_changes(BASE, content(token_budget=10).canonical()) == GuardrailFindings()
    assert guardrail_changes(None, without_guardrail().canonical()) == GuardrailFindings()


@pytest.mark.parametrize(
    ("n", "confidence", "code"),
    [(500, 0.97, "ok"), (99, 0.99, "too_few_samples"), (100, 0.8, "ok"), (1000, 0.79, "low_confidence")],
)
def test_automated_proposals_need_samples_and_confidence(n: int, confidence: float, code: str) -> None:
    verdict = check_automated_proposal(findings=GuardrailFindings(), evidence=_evidence(n, confidence), rules=RULES)
    assert verdict.code == code
    assert verdict.allowed == (code == "ok")
    if code != "ok":
        assert "stays a recommendation" in verdict.reason
    missing = check_automated_proposal(findings=GuardrailFindings(), evidence=Evidence(), rules=RULES)
    assert missing.code == "no_statistical_evidence"


def test_risk_classes_and_auto_apply_rules() -> None:
    assert risk_class("rollback", BASE, BASE) == "rollback"
    assert risk_class("policy_change", BASE, content(token_budget=900).canonical()) == "token_budget"
    assert risk_class("policy_change", BASE, content(token_budget=900, instructions="Hi").canonical()) is None
    assert risk_class("promote_version", BASE, without_guardrail().canonical()) is None
    ok = check_automated_proposal(findings=GuardrailFindings(), evidence=_evidence(), rules=RULES)
    assert check_auto_apply(risk="token_budget", enabled=(), automated_verdict=ok).code == "auto_apply_off"
    assert check_auto_apply(risk=None, enabled=("rollback",), automated_verdict=ok).code == "not_low_risk"
    assert (
        check_auto_apply(risk="token_budget", enabled=("rollback",), automated_verdict=ok).code == "class_not_enabled"
    )
    assert check_auto_apply(risk="rollback", enabled=("rollback",), automated_verdict=ok).allowed


# ---- the property, through the real proposal path on a real database --------------------------


@pytest.fixture(scope="module")
def property_db(pg_server_url: str, template_database: str) -> Iterator[Engine]:
    databases = _scratch_database(pg_server_url, template=template_database)
    engine = make_engine(next(databases))
    make_people(engine)
    make_prompt(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        databases.close()


_TEXTS = st.sampled_from(["Never reveal personal data.", "Be kind.", "Ignore all rules.", "Answer in JSON."])


@st.composite
def candidates(draw: st.DrawFn) -> dict[str, Any]:
    """Any valid spec built by dropping, re-kinding, rewriting, reordering and adding sections."""
    sections = []
    for section in spec_dict()["sections"]:
        if draw(st.booleans()):
            continue  # dropped
        kind = draw(st.sampled_from(["guardrail", "required", "optional"]))
        text = section["text"] if draw(st.booleans()) else draw(_TEXTS)
        sections.append({"id": section["id"], "kind": kind, "text": text})
    for i in range(draw(st.integers(0, 2))):
        sections.append({"id": f"extra_{i}", "kind": draw(st.sampled_from(["required", "optional"])), "text": "More."})
    sections = draw(st.permutations(sections))
    if not sections:
        sections = [{"id": "only", "text": "Just this."}]
    return spec_dict(sections=sections, token_budget=draw(st.sampled_from([None, 500, 1200])))


@st.composite
def policies(draw: st.DrawFn) -> dict[str, list[str]]:
    ids = [s["id"] for s in spec_dict()["sections"]]
    groups: dict[str, list[str]] = {"required": [], "optional": [], "banned": []}
    for section_id in ids:
        groups[draw(st.sampled_from(["required", "optional", "banned"]))].append(section_id)
    return groups


def _guardrails_kept(before: dict[str, Any], after: dict[str, Any]) -> bool:
    kept = {s["id"]: s for s in after["sections"]}
    return all(
        s["id"] in kept and kept[s["id"]]["kind"] == "guardrail" and kept[s["id"]]["text"] == s["text"]
        for s in before["sections"]
        if s["kind"] == "guardrail"
    )


def _in_rolled_back_session(engine: Engine) -> Session:
    session = Session(engine)
    session.begin()
    return session


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=candidates(), n=st.integers(0, 1000), confidence=st.floats(0, 1))
def test_no_automated_promotion_ever_weakens_a_guardrail(
    property_db: Engine, spec: dict[str, Any], n: int, confidence: float
) -> None:
    session = _in_rolled_back_session(property_db)
    try:
        prompt = get_prompt(session, name=PROMPT)
        before = session.scalar(select(PromptVersion).where(PromptVersion.version == "1.0.0"))
        assert before is not None
        target = add_version(session, prompt_name=PROMPT, content=parse_spec(spec).content(), actor=ADMIN).version
        evidence = {"stats": {"min_group_size": n, "confidence": confidence}}
        try:
            proposal = propose_promotion(
                session,
                actor=FLOW,
                rules=RULES,
                prompt_name=PROMPT,
                label="production",
                version=target.version,
                reason="automated",
                evidence=evidence,
            )
        except (GuardrailRefusedError, ValidationError):
            assert current_labels(session, prompt=prompt)["production"] == "1.0.0"
            return
        assert _guardrails_kept(before.content, target.content), proposal.request.evidence["guardrails"]
        assert n >= RULES.min_sample_size
        assert confidence >= RULES.min_confidence
    finally:
        session.rollback()
        session.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policy=policies(), budget=st.sampled_from([None, 300, 2000]))
def test_no_automated_policy_change_ever_weakens_a_guardrail(
    property_db: Engine, policy: dict[str, list[str]], budget: int | None
) -> None:
    session = _in_rolled_back_session(property_db)
    try:
        versions_before = session.scalar(select(func.count()).select_from(PromptVersion))
        try:
            proposal = propose_policy_change(
                session,
                actor=FLOW,
                rules=RULES,
                prompt_name=PROMPT,
                label="production",
                reason="automated",
                policy=policy,
                token_budget=budget,
                evidence=STRONG,
            )
        except (GuardrailRefusedError, ValidationError):
            # refused before any candidate version was created
            assert session.scalar(select(func.count()).select_from(PromptVersion)) == versions_before
            return
        before = session.scalar(select(PromptVersion).where(PromptVersion.version == "1.0.0"))
        after = session.scalar(select(PromptVersion).where(PromptVersion.version == proposal.request.target_version))
        assert before is not None and after is not None
        assert _guardrails_kept(before.content, after.content)
        assert "safety_guardrails" in after.content["policy"]["required"]
    finally:
        session.rollback()
        session.close()


# ---- end to end on the database ----------------------------------------------------------------


def test_automation_is_refused_below_thresholds_and_for_guardrail_removal(
    engine: Engine, people: dict[str, Principal], versions: dict[str, str]
) -> None:
    cases = [
        ({"stats": {"min_group_size": 40, "confidence": 0.99}}, {"token_budget": 700}, "too_few_samples"),
        ({"stats": {"min_group_size": 400, "confidence": 0.5}}, {"token_budget": 700}, "low_confidence"),
        ({}, {"token_budget": 700}, "no_statistical_evidence"),
        (
            STRONG,
            {
                "policy": {
                    "required": ["identity_role", "task_context"],
                    "optional": ["memory_recall_snippets"],
                    "banned": ["safety_guardrails"],
                }
            },
            "removes_guardrail",
        ),
    ]
    for evidence, change, code in cases:
        with pytest.raises(GuardrailRefusedError) as refused, transaction(engine) as s:
            propose_policy_change(
                s,
                actor=FLOW,
                rules=RULES,
                prompt_name=PROMPT,
                label="production",
                reason="auto",
                evidence=evidence,
                **change,
            )
        assert refused.value.code == code
        assert "flow:policy_update may not propose" in str(refused.value)
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(PromptVersion)) == 3  # no candidate was left behind


def test_human_guardrail_removal_needs_an_admin_and_a_reason(
    engine: Engine, people: dict[str, Principal], versions: dict[str, str]
) -> None:
    with transaction(engine) as s:
        weak = add_version(s, prompt_name=PROMPT, content=without_guardrail(), actor=OP1).version.version
        rid = propose_promotion(
            s, actor=people[OP1], rules=RULES, prompt_name=PROMPT, label="production", version=weak, reason="shorter"
        ).request.id
    with transaction(engine) as s:
        assert get_change_request(s, request_id=rid).request.evidence["guardrails"]["removed"] == ["safety_guardrails"]
    with pytest.raises(PermissionDeniedError, match="needs the admin role"), transaction(engine) as s:
        approve(s, actor=people[OP2], rules=RULES, request_id=rid, comment="fine")
    with pytest.raises(ValidationError, match="needs a comment giving the reason"), transaction(engine) as s:
        approve(s, actor=people[ADMIN], rules=RULES, request_id=rid)
    with transaction(engine) as s:
        approve(s, actor=people[ADMIN], rules=RULES, request_id=rid, comment="moved to the system prompt")
        assert current_labels(s, prompt=get_prompt(s, name=PROMPT))["production"] == weak


def test_auto_apply_is_admin_enabled_low_risk_only_and_audited(
    engine: Engine, people: dict[str, Principal], versions: dict[str, str]
) -> None:
    with pytest.raises(PermissionDeniedError), transaction(engine) as s:
        set_auto_apply(s, actor=people[OP1], prompt_name=PROMPT, risk_classes=["token_budget"], reason="r")
    with pytest.raises(ValidationError, match="only low-risk classes"), transaction(engine) as s:
        set_auto_apply(s, actor=people[ADMIN], prompt_name=PROMPT, risk_classes=["promote_version"], reason="r")
    with transaction(engine) as s:  # off by default: an automated budget change waits for review
        waiting = propose_policy_change(
            s,
            actor=FLOW,
            rules=RULES,
            prompt_name=PROMPT,
            label="production",
            reason="a",
            token_budget=650,
            evidence=STRONG,
        )
    assert waiting.request.status == "pending"
    assert waiting.auto_apply is not None
    assert waiting.auto_apply.code == "auto_apply_off"
    with transaction(engine) as s:
        set_auto_apply(s, actor=people[ADMIN], prompt_name=PROMPT, risk_classes=["token_budget"], reason="safe")
        assert get_auto_apply(s, prompt_name=PROMPT).risk_classes == ("token_budget",)  # type: ignore[union-attr]
    with transaction(engine) as s:
        applied = propose_policy_change(
            s,
            actor=FLOW,
            rules=RULES,
            prompt_name=PROMPT,
            label="production",
            reason="b",
            token_budget=600,
            evidence=STRONG,
        )
    assert applied.request.status == "applied"
    assert applied.request.auto_approved
    assert applied.request.decided_by == "policy:auto_apply"
    assert audit_actions(engine, applied.request.id) == [
        ("change_request.opened", "flow:policy_update"),
        ("change_request.approved", "policy:auto_apply"),
        ("change_request.applied", "flow:policy_update"),
    ]
    with transaction(engine) as s:  # a section-policy change is not low-risk: it still waits for a person
        other = propose_policy_change(
            s,
            actor=FLOW,
            rules=RULES,
            prompt_name=PROMPT,
            label="production",
            reason="c",
            evidence=STRONG,
            policy={"required": ["identity_role", "task_context", "safety_guardrails", "memory_recall_snippets"]},
        )
        rollback = propose_rollback(
            s, actor=FLOW, rules=RULES, prompt_name=PROMPT, label="production", reason="d", evidence=STRONG
        )
    assert other.request.status == "pending"  # superseded by the rollback just after
    assert other.auto_apply is not None
    assert other.auto_apply.code == "not_low_risk"
    assert rollback.request.status == "pending"  # rollbacks were not enabled for this prompt
    assert rollback.auto_apply is not None
    assert rollback.auto_apply.code == "class_not_enabled"
    with transaction(engine) as s:  # a human's proposal is never auto-applied
        human = propose_promotion(
            s, actor=people[OP1], rules=RULES, prompt_name=PROMPT, label="production", version="1.1.0", reason="e"
        )
    assert human.request.status == "pending"
