"""Reviewing what the flows found: insight triage and recommendation decisions, role-checked.

``core.insights.lifecycle`` and ``core.recommend.store`` record *who* acted; these wrappers decide
*whether they may*: operators and admins review, viewers read, and flows never review (automation
does not accept its own recommendations). Every shell (CLI, console) calls these.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from core.governance.roles import Action, Principal, require
from core.insights import lifecycle
from core.insights.lifecycle import InsightView
from core.recommend import store
from core.recommend.store import RecommendationView

InsightAction = Literal["acknowledge", "resolve", "dismiss"]
Decision = Literal["accept", "reject"]


def review_insight(
    session: Session, *, actor: Principal, insight_id: int, action: InsightAction, note: str = ""
) -> InsightView:
    require(actor, Action.REVIEW)
    act = {"acknowledge": lifecycle.acknowledge, "resolve": lifecycle.resolve, "dismiss": lifecycle.dismiss}[action]
    return act(session, insight_id=insight_id, actor=actor.actor, note=note)


def decide_recommendation(
    session: Session, *, actor: Principal, recommendation_id: int, decision: Decision, note: str = ""
) -> RecommendationView:
    require(actor, Action.REVIEW)
    if decision == "accept":
        return store.accept(session, recommendation_id=recommendation_id, actor=actor.actor, note=note)
    return store.reject(session, recommendation_id=recommendation_id, actor=actor.actor, note=note)
