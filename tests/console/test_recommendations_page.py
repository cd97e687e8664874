"""Recommendations: the table of figures, the detail view with the observational label, accept /
reject with a note, and "propose change" opening a policy-change request linked to the recommendation.

The recommendations come from a real weekly finalisation over hand-made analyses
(``tests.recommend.factories``) of prompt ``p`` (``role``, guardrail ``safety``, optional ``memory``
and ``chatter``; budget 4000; production → 1.0.0): ADD memory, REMOVE chatter, token budget 1400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from core.config import Settings
from core.db.engine import transaction
from core.errors import PermissionDeniedError
from core.governance.audit import list_events
from core.governance.queries import list_change_requests
from core.governance.recommendations import linked_recommendation_ids, propose_from_recommendation
from core.governance.review import decide_recommendation
from core.governance.rules import GovernanceRules
from core.governance.users import principal_for
from core.recommend.store import RecommendationView, get_recommendation, list_recommendations
from core.recommend.weekly import finalise
from core.registry.labels import current_labels
from core.registry.prompts import get_prompt
from tests.console.signin import email_for, ensure_user
from tests.recommend.conftest import Registered, registered  # noqa: F401  (fixture)
from tests.recommend.factories import NOW, analysis, budget, section

PAGE = "views/recommendations.py"


@pytest.fixture
def recs(engine: Engine, settings: Settings, registered: Registered) -> dict[str, int]:  # noqa: F811
    """Recommendation id by key."""
    weekly = analysis(
        prompt="p",
        prompt_id=registered.prompt_id,
        version_id=registered.version_id,
        sections=(section("memory", "optional", 0.06, 1e-12), section("chatter", "optional", -0.04, 1e-9)),
        **budget(4000, 1400, 1150),
    )
    with transaction(engine) as s:
        finalise(s, analyses=[weekly], errors={}, now=NOW, settings=settings, actor="flow:optimization-report")
        return {r.key: r.id for r in list_recommendations(s)}


def rec(engine: Engine, rec_id: int) -> RecommendationView:
    with transaction(engine) as s:
        return get_recommendation(s, recommendation_id=rec_id)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [e.value for kind in (at.success, at.info, at.warning, at.error) for e in kind]
    return "\n".join(str(p) for p in parts)


def table(at: AppTest) -> Any:
    return at.dataframe[0].value.set_index("#")


def test_empty_state_says_where_recommendations_come_from(console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE)
    assert not at.exception
    assert "No recommendations yet" in texts(at)
    assert "promptloop flows run optimization_report" in texts(at)


def test_table_and_detail_show_effect_interval_q_and_the_observational_label(
    recs: dict[str, int], console_app: Callable[..., AppTest]
) -> None:
    at = console_app(PAGE)
    assert not at.exception
    rows = table(at)
    memory, budget_row = rows.loc[recs["section:memory"]], rows.loc[recs["token_budget"]]
    assert (memory["kind"], memory["prompt"], memory["status"]) == ("add section", "p", "new")
    assert (memory["effect"], memory["95 % interval"]) == ("+0.0600", "[-0.0100, +0.1300]")
    assert memory["sample sizes"] == "1,000 with / 1,000 without"
    assert float(memory["q-value"]) < 1e-9 and memory["confidence"] == "1.000"
    assert bool(memory["observational"]) is True
    assert rows.loc[recs["section:chatter"], "kind"] == "remove section"
    assert budget_row["effect"] == "4,000 → 1,400 tokens"
    assert budget_row["95 % interval"] == "p95 1,150 [1,127, 1,173]"
    assert (budget_row["q-value"], bool(budget_row["observational"])) == ("—", False)

    at.selectbox(key="recs_selected").set_value(recs["section:memory"]).run()
    assert any("Observational — confirm by experiment" in w.value for w in at.warning)
    assert "Calls with memory were 0.060 more accurate" in texts(at)  # the rationale
    figures = at.dataframe[1].value
    assert figures.loc[0, "interval"] == "[-0.0100, +0.1300]" and figures.loc[0, "n"] == "2,000"

    at.selectbox(key="recs_selected").set_value(recs["token_budget"]).run()
    assert not at.warning  # measured, not an observational effect

    at.multiselect(key="recs_status").set_value(["rejected"]).run()
    assert "No recommendation matches these filters" in texts(at)


def test_accept_then_propose_change_opens_a_linked_policy_change_request(
    engine: Engine, recs: dict[str, int], console_app: Callable[..., AppTest]
) -> None:
    memory = recs["section:memory"]
    operator = email_for("operator")
    at = console_app(PAGE, user="operator")
    at.selectbox(key="recs_selected").set_value(memory).run()
    assert "rec_propose" not in {b.key for b in at.button}  # a new recommendation is decided first
    at.text_area(key=f"rec_note_{memory}").input("worth it")
    at.button(key="rec_accept").click().run()
    assert not at.exception
    assert any(f"Accepted recommendation #{memory}" in s.value for s in at.success)
    accepted = rec(engine, memory)
    assert (accepted.status, accepted.decided_by, accepted.decision_note) == ("accepted", operator, "worth it")

    # before proposing: the proposed version's diff from the version the recommendation was computed on
    shown = texts(at)
    assert "policy-change request" in shown
    assert "**p@1.0.0 → proposed:**" in shown
    policy = next(d.value for d in at.dataframe if "field" in d.value.columns)
    required = policy[policy["field"] == "policy.required"].iloc[0]
    assert "memory" not in required["before"] and "memory" in required["after"]

    at.button(key="rec_propose").click().run()
    assert not at.exception
    with transaction(engine) as s:
        assert memory in linked_recommendation_ids(s)
        [request] = list_change_requests(s, kind="policy_change")
        labels = current_labels(s, prompt=get_prompt(s, name="p"))
    assert any(f"Opened change request #{request.id}" in s.value for s in at.success)
    assert (request.status, request.requested_by, request.base_version) == ("pending", operator, "1.0.0")
    assert request.evidence["links"]["recommendation_ids"] == [memory]
    assert request.evidence["figures"][0]["name"] == "accuracy effect of memory"
    assert request.evidence["stats"]["confidence"] > 0.99
    assert labels["production"] == "1.0.0"  # proposed, not applied

    # already proposed: the request id and a link to Approvals, no second proposal
    assert table(at).loc[memory, "change request"] == f"#{request.id} (pending)"
    assert any(f"change request #{request.id}" in s.value for s in at.success)
    [link] = at.get("page_link")
    assert link.proto.label == f"Open change request #{request.id} in Approvals"
    assert link.proto.page.endswith("approvals") and f"request={request.id}" in link.proto.query_string
    assert "rec_propose" not in {b.key for b in at.button}


def test_reject_needs_a_note_then_is_recorded(
    engine: Engine, recs: dict[str, int], console_app: Callable[..., AppTest]
) -> None:
    chatter = recs["section:chatter"]
    at = console_app(PAGE, user="operator")
    at.selectbox(key="recs_selected").set_value(chatter).run()
    at.button(key="rec_reject").click().run()
    assert any("a note is required to reject" in e.value for e in at.error)
    assert rec(engine, chatter).status == "new"

    at.text_area(key=f"rec_note_{chatter}").input("users rely on small talk")
    at.button(key="rec_reject").click().run()
    assert any(f"Rejected recommendation #{chatter}" in i.value for i in at.info)
    rejected = rec(engine, chatter)
    assert (rejected.status, rejected.decision_note) == ("rejected", "users rely on small talk")
    with transaction(engine) as s:
        [event] = list_events(s, entity_type="recommendation", entity_id=str(chatter))
    assert (event.actor, event.action) == (email_for("operator"), "recommendation.rejected")
    assert chatter not in table(at).index  # rejected: hidden by the default filter (new, accepted)


def test_viewer_sees_no_decision_or_propose_buttons_and_core_refuses(
    engine: Engine, recs: dict[str, int], console_app: Callable[..., AppTest]
) -> None:
    with transaction(engine) as s:  # an operator accepted the budget one
        operator = principal_for(s, email=ensure_user(engine, "operator"))
        decide_recommendation(s, actor=operator, recommendation_id=recs["token_budget"], decision="accept")
    at = console_app(PAGE, user="viewer")
    assert not at.exception
    at.selectbox(key="recs_selected").set_value(recs["section:memory"]).run()
    assert not {b.label for b in at.button} & {"Accept", "Reject"}
    assert "accepting and rejecting needs the operator role" in texts(at)
    at.selectbox(key="recs_selected").set_value(recs["token_budget"]).run()
    assert "rec_propose" not in {b.key for b in at.button}
    assert "proposing changes needs the operator role" in texts(at)

    with transaction(engine) as s:
        viewer = principal_for(s, email=email_for("viewer"))
        with pytest.raises(PermissionDeniedError, match="is a viewer"):
            decide_recommendation(s, actor=viewer, recommendation_id=recs["section:memory"], decision="accept")
    with transaction(engine) as s, pytest.raises(PermissionDeniedError, match="is a viewer"):
        propose_from_recommendation(s, actor=viewer, rules=GovernanceRules(), recommendation_id=recs["token_budget"])
    assert rec(engine, recs["section:memory"]).status == "new"
    with transaction(engine) as s:
        assert not linked_recommendation_ids(s)
