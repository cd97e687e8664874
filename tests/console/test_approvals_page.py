"""Approvals: evidence and diff of a request; approve / reject by a second operator; the two-person
rule, viewers and stale requests as an operator sees them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from core.db.engine import transaction
from core.errors import PermissionDeniedError
from core.governance.decisions import approve
from core.governance.rules import GovernanceRules
from core.governance.users import principal_for
from core.registry.labels import label_history, move_label
from core.registry.prompts import get_prompt
from tests.console.governance_data import ALICE, BOB, PROMPT, open_promotion, production, request, seed
from tests.console.signin import email_for

PAGE = "views/approvals.py"


@pytest.fixture
def pending(engine: Engine) -> int:
    seed(engine)
    return open_promotion(engine, by=ALICE)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for kind in (at.success, at.info, at.warning, at.error) for e in kind]
    return "\n".join(str(p) for p in parts)


def test_shows_evidence_with_intervals_and_the_diff(pending: int, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user=BOB)
    assert not at.exception
    assert at.dataframe[0].value.loc[0, "#"] == pending
    shown = texts(at)
    assert "Formal context raised accuracy by 3 points" in shown
    figures = next(d.value for d in at.dataframe if "interval" in d.value.columns)
    assert figures.loc[0, "figure"] == "accuracy"
    assert figures.loc[0, "interval"] == "[0.012, 0.05]"
    assert figures.loc[0, "level"] == "95%"
    assert "insight #12" in shown
    assert "~ section task_context" in shown  # the section-aware diff of 1.0.0 → 1.0.1
    assert any("+Be formal." in code.value for code in at.code)


def test_second_operator_approves_and_the_label_moves(
    engine: Engine, pending: int, console_app: Callable[..., AppTest]
) -> None:
    at = console_app(PAGE, user=BOB)
    at.text_area(key=f"decide_comment_{pending}").input("looks right")
    at.button(key="approve").click().run()
    assert not at.exception
    assert any(f"Approved #{pending} and applied it" in s.value for s in at.success)
    assert production(engine) == "1.0.1"
    done = request(engine, pending)
    assert (done.status, done.decided_by, done.applied_by) == ("applied", BOB, BOB)
    with transaction(engine) as s:
        moves = label_history(s, prompt=get_prompt(s, name=PROMPT), label="production")
    assert moves[-1].change_request_id == pending


def test_reject_needs_a_comment_then_rejects(engine: Engine, pending: int, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user=BOB)
    at.button(key="reject").click().run()
    assert any("rejecting needs a comment" in e.value for e in at.error)
    assert request(engine, pending).status == "pending"

    at.text_area(key=f"decide_comment_{pending}").input("not without an experiment")
    at.button(key="reject").click().run()
    assert any(f"Rejected #{pending}" in i.value for i in at.info)
    assert request(engine, pending).status == "rejected"
    assert production(engine) == "1.0.0"


def test_requester_cannot_approve_their_own_request(
    engine: Engine, pending: int, console_app: Callable[..., AppTest]
) -> None:
    at = console_app(PAGE, user=ALICE)
    assert "under the two-person rule another operator must approve it" in texts(at)
    assert at.button(key="approve").disabled
    assert not at.button(key="reject").disabled  # withdrawing your own request is fine
    with transaction(engine) as s, pytest.raises(PermissionDeniedError, match="two-person rule"):
        approve(s, actor=principal_for(s, email=ALICE), rules=GovernanceRules(), request_id=pending)
    assert request(engine, pending).status == "pending"


def test_viewer_sees_no_decision_buttons_and_core_refuses(
    engine: Engine, pending: int, console_app: Callable[..., AppTest]
) -> None:
    at = console_app(PAGE, user="viewer")
    assert not at.exception
    labels = {b.label for b in at.button}
    assert not labels & {"Approve", "Reject", "Comment only", "Add comment"}
    assert "approving, rejecting and commenting need the operator role" in texts(at)
    with transaction(engine) as s, pytest.raises(PermissionDeniedError, match="is a viewer"):
        approve(s, actor=principal_for(s, email=email_for("viewer")), rules=GovernanceRules(), request_id=pending)
    assert request(engine, pending).status == "pending"


def test_stale_request_says_what_moved_the_label(
    engine: Engine, pending: int, console_app: Callable[..., AppTest]
) -> None:
    with transaction(engine) as s:  # an out-of-band move (e.g. a history import) after the request was made
        move_label(s, prompt_name=PROMPT, label="production", version="1.1.0", actor="ops@x.io", reason="hotfix")
    at = console_app(PAGE, user=BOB)
    assert "has moved since this request was made" in texts(at)
    at.button(key="approve").click().run()
    assert any("is stale and was not applied" in w.value for w in at.warning)
    assert production(engine) == "1.1.0"

    at.radio(key="approvals_view").set_value("Decided").run()
    shown = texts(at)
    assert "Stale — nothing was applied" in shown
    assert "last moved by ops@x.io: hotfix" in shown
    moved = next(d.value for d in at.dataframe if "by" in d.value.columns and "reason" in d.value.columns)
    assert (moved.loc[0, "to"], moved.loc[0, "by"], moved.loc[0, "reason"]) == ("1.1.0", "ops@x.io", "hotfix")
