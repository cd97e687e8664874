"""Change requests on a real Postgres: propose → approve → apply, stale, supersede, windows, rollback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from core.db.engine import transaction
from core.db.models.governance import ChangeRequest
from core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from core.governance.changes import propose_experiment, propose_promotion, propose_rollback
from core.governance.decisions import add_comment, apply_change_request, apply_due, approve, reject
from core.governance.errors import NotAvailableError
from core.governance.queries import get_change_request, list_change_requests
from core.governance.roles import Principal
from core.registry.labels import current_labels, label_history, move_label
from core.registry.prompts import get_prompt
from tests.governance.helpers import (
    ADMIN,
    OP1,
    OP2,
    OP3,
    PROMPT,
    RULES,
    RULES_ONE_PERSON,
    audit_actions,
)

People = dict[str, Principal]


def _promote(engine: Engine, who: Principal, version: str, **kw: object) -> int:
    with transaction(engine) as s:
        proposal = propose_promotion(
            s, actor=who, rules=RULES, prompt_name=PROMPT, label="production", version=version, reason="better", **kw
        )  # type: ignore[arg-type]
        return proposal.request.id


def _labels(engine: Engine) -> dict[str, str]:
    with transaction(engine) as s:
        return current_labels(s, prompt=get_prompt(s, name=PROMPT))


def test_propose_approve_applies_and_lands_in_label_history(engine: Engine, people: People, versions: dict) -> None:
    rid = _promote(engine, people[OP1], versions["v2"], evidence={"summary": "formal tone helps"})
    assert _labels(engine) == {"production": versions["v1"]}  # proposing changes nothing
    with transaction(engine) as s:
        decision = approve(s, actor=people[OP2], rules=RULES, request_id=rid, comment="looks right")
    assert decision.applied is not None
    assert decision.applied.status == "applied"
    assert decision.request.status == "applied"
    assert decision.request.decided_by == OP2
    assert _labels(engine) == {"production": versions["v2"]}
    with transaction(engine) as s:
        moves = label_history(s, prompt=get_prompt(s, name=PROMPT), label="production")
        detail = get_change_request(s, request_id=rid)
    assert (moves[-1].from_version, moves[-1].to_version, moves[-1].change_request_id) == (
        versions["v1"],
        versions["v2"],
        rid,
    )
    assert moves[-1].actor == OP2
    assert [c.body for c in detail.comments] == ["looks right"]
    assert [m.id for m in detail.label_moves] == [moves[-1].id]
    assert detail.request.evidence["summary"] == "formal tone helps"
    assert "~ section task_context" in detail.request.evidence["diff"]["summary"]
    assert "+Be formal." in detail.request.evidence["diff"]["unified"]
    assert [a for a, _ in audit_actions(engine, rid)] == [
        "change_request.opened",
        "change_request.approved",
        "change_request.applied",
    ]


def test_two_person_rule(engine: Engine, people: People, versions: dict) -> None:
    rid = _promote(engine, people[OP1], versions["v2"])
    with pytest.raises(PermissionDeniedError, match="two-person rule"), transaction(engine) as s:
        approve(s, actor=people[OP1], rules=RULES, request_id=rid)
    assert _labels(engine) == {"production": versions["v1"]}
    with transaction(engine) as s:  # switched off, the requester may approve
        approve(s, actor=people[OP1], rules=RULES_ONE_PERSON, request_id=rid)
    assert _labels(engine) == {"production": versions["v2"]}
    # an admin's own request is bound by it too (admins skip review only with apply_now and a reason)
    own = _promote(engine, people[ADMIN], versions["v3"])
    with pytest.raises(PermissionDeniedError, match="another operator must approve"), transaction(engine) as s:
        approve(s, actor=people[ADMIN], rules=RULES, request_id=own)
    with transaction(engine) as s:
        assert approve(s, actor=people[OP1], rules=RULES, request_id=own).request.status == "applied"


def test_label_moved_since_request_makes_it_stale_and_applies_nothing(
    engine: Engine, people: People, versions: dict
) -> None:
    rid = _promote(engine, people[OP1], versions["v2"])
    with transaction(engine) as s:  # a move outside governance (e.g. an import) after the request was made
        move_label(s, prompt_name=PROMPT, label="production", version=versions["v3"], actor="importer", reason="sync")
    with transaction(engine) as s:
        decision = approve(s, actor=people[OP2], rules=RULES, request_id=rid)
    assert decision.applied is not None
    assert decision.applied.status == "stale"
    assert decision.request.status == "stale"
    assert f"pointed at {versions['v1']}" in decision.request.status_detail
    assert f"now points at {versions['v3']}" in decision.request.status_detail
    assert "nothing was applied" in decision.request.status_detail
    assert _labels(engine) == {"production": versions["v3"]}
    assert [a for a, _ in audit_actions(engine, rid)][-1] == "change_request.stale"
    with pytest.raises(ConflictError, match="already stale"), transaction(engine) as s:
        approve(s, actor=people[ADMIN], rules=RULES, request_id=rid)


def test_newer_request_supersedes_the_open_one(engine: Engine, people: People, versions: dict) -> None:
    first = _promote(engine, people[OP1], versions["v2"])
    again = _promote(engine, people[OP1], versions["v2"])  # the same change again: the open one is returned
    assert again == first
    second = _promote(engine, people[OP2], versions["v3"])
    with transaction(engine) as s:
        old = get_change_request(s, request_id=first).request
        assert old.status == "superseded"
        assert old.superseded_by_id == second
        assert f"superseded by #{second}" in old.status_detail
    with pytest.raises(ConflictError, match="already superseded"), transaction(engine) as s:
        approve(s, actor=people[OP2], rules=RULES, request_id=first)
    # an approved request waiting for its window is superseded too
    later = datetime.now(UTC) + timedelta(hours=1)
    with transaction(engine) as s:
        approve(s, actor=people[OP1], rules=RULES, request_id=second)
    assert _labels(engine) == {"production": versions["v3"]}
    third = _promote(engine, people[OP1], versions["v2"], apply_after=later)
    with transaction(engine) as s:
        assert approve(s, actor=people[OP2], rules=RULES, request_id=third).applied is None
    fourth = _promote(engine, people[OP2], versions["v1"])
    with transaction(engine) as s:
        assert get_change_request(s, request_id=third).request.status == "superseded"
        assert get_change_request(s, request_id=fourth).request.status == "pending"


def test_apply_window_and_apply_due(engine: Engine, people: People, versions: dict) -> None:
    now = datetime.now(UTC)
    rid = _promote(engine, people[OP1], versions["v2"], apply_after=now + timedelta(hours=2), now=now)
    with transaction(engine) as s:
        decision = approve(s, actor=people[OP2], rules=RULES, request_id=rid, now=now)
    assert decision.applied is None
    assert decision.request.status == "approved"
    with pytest.raises(ValidationError, match="may be applied from"), transaction(engine) as s:
        apply_change_request(s, actor=people[OP2], request_id=rid, now=now)
    assert apply_due(engine, actor=people["flow"], now=now + timedelta(hours=1)) == []
    results = apply_due(engine, actor=people["flow"], now=now + timedelta(hours=3))
    assert [(r.request_id, r.status) for r in results] == [(rid, "applied")]
    assert _labels(engine) == {"production": versions["v2"]}
    with transaction(engine) as s:
        view = get_change_request(s, request_id=rid).request
    assert (view.decided_by, view.applied_by) == (OP2, "flow:policy_update")
    assert apply_due(engine, actor=people["flow"], now=now + timedelta(hours=4)) == []


def test_apply_due_isolates_requests_and_works_in_a_session(engine: Engine, people: People, versions: dict) -> None:
    now = datetime.now(UTC)
    with transaction(engine) as s:
        move_label(s, prompt_name=PROMPT, label="staging", version=versions["v1"], actor=ADMIN, reason="seed")
        a = propose_promotion(
            s,
            actor=people[OP1],
            rules=RULES,
            prompt_name=PROMPT,
            label="production",
            version=versions["v2"],
            reason="r",
            apply_after=now + timedelta(minutes=5),
        ).request.id
        b = propose_promotion(
            s,
            actor=people[OP1],
            rules=RULES,
            prompt_name=PROMPT,
            label="staging",
            version=versions["v3"],
            reason="r",
            apply_after=now + timedelta(minutes=5),
        ).request.id
        approve(s, actor=people[OP2], rules=RULES, request_id=a, now=now)
        approve(s, actor=people[OP2], rules=RULES, request_id=b, now=now)
        move_label(s, prompt_name=PROMPT, label="production", version=versions["v3"], actor=ADMIN, reason="x")
    with transaction(engine) as s:
        results = apply_due(s, actor=people[OP3], now=now + timedelta(minutes=10))
    assert {r.request_id: r.status for r in results} == {a: "stale", b: "applied"}
    assert _labels(engine) == {"production": versions["v3"], "staging": versions["v3"]}


def test_reject_comment_and_illegal_decisions(engine: Engine, people: People, versions: dict) -> None:
    rid = _promote(engine, people[OP1], versions["v2"])
    with pytest.raises(ValidationError, match="needs a comment"), transaction(engine) as s:
        reject(s, actor=people[OP2], request_id=rid, comment=" ")
    with transaction(engine) as s:
        add_comment(s, actor=people[OP1], request_id=rid, text="see the report")
        view = reject(s, actor=people[OP2], request_id=rid, comment="not now")
    assert (view.status, view.decided_by) == ("rejected", OP2)
    for action in (
        lambda s: approve(s, actor=people[OP2], rules=RULES, request_id=rid),
        lambda s: reject(s, actor=people[OP2], request_id=rid, comment="again"),
        lambda s: apply_change_request(s, actor=people[OP2], request_id=rid),
    ):
        with pytest.raises(ConflictError, match=f"#{rid} is already rejected by {OP2}"), transaction(engine) as s:
            action(s)
    with transaction(engine) as s:
        detail = get_change_request(s, request_id=rid)
    assert [(c.author, c.body) for c in detail.comments] == [(OP1, "see the report"), (OP2, "not now")]
    assert [h.action for h in detail.history] == [
        "change_request.opened",
        "change_request.commented",
        "change_request.rejected",
    ]
    with pytest.raises(NotFoundError, match="unknown change request #999"), transaction(engine) as s:
        approve(s, actor=people[OP2], rules=RULES, request_id=999)
    assert _labels(engine) == {"production": versions["v1"]}


def test_proposals_are_validated(engine: Engine, people: People, versions: dict) -> None:
    cases = [
        ({"version": versions["v1"]}, ValidationError, "already points at"),
        ({"version": "9.9.9"}, NotFoundError, "no version '9.9.9'"),
        ({"version": versions["v2"], "reason": "  "}, ValidationError, "needs a reason"),
        ({"version": versions["v2"], "label": "Prod"}, ValidationError, "invalid label"),
        ({"version": versions["v2"], "evidence": {"diff": {}}}, ValidationError, "filled in by governance"),
        ({"version": versions["v2"], "evidence": {"stats": {"confidence": 3}}}, ValidationError, "invalid evidence"),
    ]
    for overrides, error, message in cases:
        kw: dict = {"prompt_name": PROMPT, "label": "production", "reason": "why"} | overrides
        with pytest.raises(error, match=message), transaction(engine) as s:
            propose_promotion(s, actor=people[OP1], rules=RULES, **kw)
    with transaction(engine) as s:
        assert list_change_requests(s) == []


def test_rollback_is_a_reviewed_request(engine: Engine, people: People, versions: dict) -> None:
    rid = _promote(engine, people[OP1], versions["v2"])
    with transaction(engine) as s:
        approve(s, actor=people[OP2], rules=RULES, request_id=rid)
    with transaction(engine) as s:
        back = propose_rollback(
            s, actor=people[OP2], rules=RULES, prompt_name=PROMPT, label="production", reason="regression"
        )
    assert (back.request.kind, back.request.base_version, back.request.target_version) == (
        "rollback",
        versions["v2"],
        versions["v1"],
    )
    assert back.request.evidence["risk_class"] == "rollback"
    with transaction(engine) as s:
        approve(s, actor=people[OP1], rules=RULES, request_id=back.request.id)
    assert _labels(engine) == {"production": versions["v1"]}
    with transaction(engine) as s:
        last = label_history(s, prompt=get_prompt(s, name=PROMPT), label="production")[-1]
    assert (last.kind, last.change_request_id) == ("rollback", back.request.id)
    with pytest.raises(ValidationError, match="never pointed at"), transaction(engine) as s:
        propose_rollback(
            s, actor=people[OP1], rules=RULES, prompt_name=PROMPT, label="production", to=versions["v3"], reason="x"
        )
    with pytest.raises(NotFoundError, match="no label 'canary'"), transaction(engine) as s:
        propose_rollback(s, actor=people[OP1], rules=RULES, prompt_name=PROMPT, label="canary", reason="x")


def test_admin_applies_a_rollback_at_once_with_a_reason(engine: Engine, people: People, versions: dict) -> None:
    with transaction(engine) as s:
        move_label(s, prompt_name=PROMPT, label="production", version=versions["v2"], actor=ADMIN, reason="go")
    with pytest.raises(PermissionDeniedError, match="needs the admin role"), transaction(engine) as s:
        propose_rollback(
            s, actor=people[OP1], rules=RULES, prompt_name=PROMPT, label="production", reason="x", apply_now=True
        )
    with transaction(engine) as s:
        proposal = propose_rollback(
            s, actor=people[ADMIN], rules=RULES, prompt_name=PROMPT, label="production", reason="outage", apply_now=True
        )
    assert proposal.applied is not None
    assert proposal.applied.status == "applied"
    assert proposal.request.status == "applied"
    assert _labels(engine) == {"production": versions["v1"]}
    assert audit_actions(engine, proposal.request.id) == [
        ("change_request.opened", ADMIN),
        ("change_request.approved", ADMIN),
        ("change_request.applied", ADMIN),
    ]


def test_admin_cannot_apply_a_promotion_of_what_is_in_use_at_once_under_the_two_person_rule(
    engine: Engine, people: People, versions: dict
) -> None:
    def promote(label: str, version: str, rules: object) -> object:
        with transaction(engine) as s:
            return propose_promotion(
                s, actor=people[ADMIN], rules=rules, prompt_name=PROMPT, label=label, version=version,  # type: ignore[arg-type]
                reason="hotfix", apply_now=True,
            )  # fmt: skip

    assert promote("canary", versions["v2"], RULES).applied is not None  # a first version: nothing uses it yet
    with transaction(engine) as s:
        before = len(list_change_requests(s, prompt_name=PROMPT))
    with pytest.raises(PermissionDeniedError, match="needs another operator's approval"):
        promote("production", versions["v2"], RULES)  # production is in use at v1
    with transaction(engine) as s:
        assert len(list_change_requests(s, prompt_name=PROMPT)) == before  # the refused one left nothing behind
    assert promote("production", versions["v2"], RULES_ONE_PERSON).applied is not None  # the rule turned off
    assert _labels(engine) == {"production": versions["v2"], "canary": versions["v2"]}


def test_experiment_requests_are_accepted_but_not_applicable_yet(
    engine: Engine, people: People, versions: dict
) -> None:
    with transaction(engine) as s:
        proposal = propose_experiment(
            s,
            actor=people[OP1],
            rules=RULES,
            kind="start_experiment",
            prompt_name=PROMPT,
            payload={"arms": ["1.0.0", "1.0.1"]},
            reason="test the formal tone",
        )
    rid = proposal.request.id
    with pytest.raises(NotAvailableError, match="experiments are not available yet"), transaction(engine) as s:
        approve(s, actor=people[OP2], rules=RULES, request_id=rid)
    with transaction(engine) as s:
        assert get_change_request(s, request_id=rid).request.status == "pending"
        assert s.scalar(select(ChangeRequest.label).where(ChangeRequest.id == rid)) is None
    with pytest.raises(ValidationError, match="kind must be one of"), transaction(engine) as s:
        propose_experiment(
            s, actor=people[OP1], rules=RULES, kind="promote_version", prompt_name=PROMPT, payload={}, reason="x"
        )
