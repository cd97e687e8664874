"""The two-person rule holds for changes a flow opens from recommendations: the person who accepted the
recommendation proposed the change and may not approve it (core and console)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from core.db.engine import transaction
from core.errors import PermissionDeniedError
from core.governance.decisions import approve, proposers
from core.governance.queries import view_of
from core.governance.recommendations import propose_from_recommendation
from core.governance.review import decide_recommendation
from core.governance.roles import flow_principal
from core.governance.rules import GovernanceRules
from core.governance.users import principal_for
from tests.console.signin import ensure_user
from tests.console.test_recommendations_page import recs  # noqa: F401  (fixture)
from tests.recommend.conftest import registered  # noqa: F401  (fixture)

FLOW = flow_principal("policy_update")


def _flow_opens_request_accepted_by(engine: Engine, rec_id: int, email: str) -> int:
    with transaction(engine) as s:
        decide_recommendation(s, actor=principal_for(s, email=email), recommendation_id=rec_id, decision="accept")
    with transaction(engine) as s:
        proposal = propose_from_recommendation(s, actor=FLOW, rules=GovernanceRules(), recommendation_id=rec_id)
        return proposal.request.id


def test_whoever_accepted_the_recommendation_cannot_approve_the_change_another_operator_can(
    engine: Engine,
    recs: dict[str, int],  # noqa: F811
) -> None:
    alice, bob = ensure_user(engine, "alice@example.com"), ensure_user(engine, "bob@example.com")
    request_id = _flow_opens_request_accepted_by(engine, recs["token_budget"], alice)

    with transaction(engine) as s, pytest.raises(PermissionDeniedError, match=r"you accepted recommendation #\d+"):
        approve(s, actor=principal_for(s, email=alice), rules=GovernanceRules(), request_id=request_id)
    with transaction(engine) as s:
        request = view_of(s, request_id)
        assert set(proposers(s, request)) == {FLOW.email, alice}
        assert request.status == "pending"
    with transaction(engine) as s:
        decision = approve(s, actor=principal_for(s, email=bob), rules=GovernanceRules(), request_id=request_id)
    assert decision.request.decided_by == bob


def test_the_rule_can_be_turned_off(engine: Engine, recs: dict[str, int]) -> None:  # noqa: F811
    alice = ensure_user(engine, "alice@example.com")
    request_id = _flow_opens_request_accepted_by(engine, recs["token_budget"], alice)
    with transaction(engine) as s:
        rules = GovernanceRules(two_person_rule=False)
        decision = approve(s, actor=principal_for(s, email=alice), rules=rules, request_id=request_id)
    assert decision.request.decided_by == alice


def test_the_approvals_page_says_why_and_disables_approve(
    engine: Engine,
    recs: dict[str, int],  # noqa: F811
    console_app: Callable[..., AppTest],
) -> None:
    alice = ensure_user(engine, "alice@example.com")
    request_id = _flow_opens_request_accepted_by(engine, recs["token_budget"], alice)
    at = console_app("views/approvals.py", user=alice)
    assert not at.exception
    info = "\n".join(str(i.value) for i in at.info)
    assert f"You accepted recommendation #{recs['token_budget']}, which change #{request_id} comes from" in info
    assert next(b for b in at.button if b.label == "Approve").disabled
