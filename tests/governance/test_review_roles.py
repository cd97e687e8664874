"""Reviewing insights and recommendations and changing prompt settings check the role in core."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.engine import transaction
from core.db.models.audit import AuditEvent
from core.db.models.insights import Insight, Recommendation
from core.errors import PermissionDeniedError
from core.governance.prompt_settings import change_prompt_settings
from core.governance.review import decide_recommendation, review_insight
from core.governance.roles import Principal, flow_principal
from core.governance.users import add_user, principal_for
from core.insights.findings import Finding
from core.insights.rules import RuleRun
from core.insights.store import upsert_findings
from core.recommend.weekly import finalise
from tests.recommend.conftest import Registered
from tests.recommend.factories import NOW, analysis, section

Act = Callable[[Session, Principal, dict[str, int]], Any]
ACTIONS: dict[str, tuple[Act, set[str]]] = {
    "acknowledge insight": (
        lambda s, p, ids: review_insight(s, actor=p, insight_id=ids["insight"], action="acknowledge"),
        {"operator", "admin"},
    ),
    "dismiss insight": (
        lambda s, p, ids: review_insight(s, actor=p, insight_id=ids["insight"], action="dismiss", note="known"),
        {"operator", "admin"},
    ),
    "accept recommendation": (
        lambda s, p, ids: decide_recommendation(s, actor=p, recommendation_id=ids["recommendation"], decision="accept"),
        {"operator", "admin"},
    ),
    "reject recommendation": (
        lambda s, p, ids: decide_recommendation(
            s, actor=p, recommendation_id=ids["recommendation"], decision="reject", note="no"
        ),
        {"operator", "admin"},
    ),
    "change prompt settings": (
        lambda s, p, ids: change_prompt_settings(s, actor=p, prompt_name="p", changes={"segment_dimensions": ["x"]}),
        {"admin"},
    ),
}


@pytest.fixture
def world(engine: Engine, settings: Settings, registered: Registered) -> tuple[dict[str, Principal], dict[str, int]]:
    with transaction(engine) as s:
        add_user(s, actor=None, email="admin@x.io", role="admin")
        admin = principal_for(s, email="admin@x.io")
        add_user(s, actor=admin, email="op@x.io", role="operator")
        add_user(s, actor=admin, email="viewer@x.io", role="viewer")
        people = {e.split("@")[0]: principal_for(s, email=e) for e in ("admin@x.io", "op@x.io", "viewer@x.io")}
        finding = Finding("low_accuracy", "accuracy:low", "accuracy", "high", "low", "d", ())
        upsert_findings(
            s, prompt_id=registered.prompt_id, prompt="p", run=RuleRun((finding,), frozenset({"low_accuracy"})), now=NOW
        )
        a = analysis(prompt_id=registered.prompt_id, version_id=registered.version_id,
                     sections=(section("memory", "optional", 0.06, 1e-12),))  # fmt: skip
        finalise(s, analyses=[a], errors={}, now=NOW, settings=settings, actor="flow:optimization-report")
        ids = {"insight": s.scalar(select(Insight.id)), "recommendation": s.scalar(select(Recommendation.id))}
    roles = {"viewer": people["viewer"], "operator": people["op"], "admin": people["admin"],
             "flow": flow_principal("optimization_report")}  # fmt: skip
    return roles, ids  # type: ignore[return-value]


@pytest.mark.parametrize("role", ["viewer", "operator", "admin", "flow"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_role_is_checked_in_core(engine: Engine, world: Any, action: str, role: str) -> None:
    roles, ids = world
    act, allowed = ACTIONS[action]
    with Session(engine) as s:
        s.begin()
        try:
            before = s.scalar(select(func.count()).select_from(AuditEvent))
            if role in allowed:
                act(s, roles[role], ids)
                assert s.scalar(select(func.count()).select_from(AuditEvent)) > before
            else:
                with pytest.raises(PermissionDeniedError):
                    act(s, roles[role], ids)
        finally:
            s.rollback()
