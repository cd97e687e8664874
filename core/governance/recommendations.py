"""From an accepted recommendation to a policy-change request (the console's "propose change" and step 1
of the daily policy-update flow).

A recommendation is proposed at most once: the request's evidence links it
(``links.recommendation_ids``), and recommendations linked from any change request are not proposed
again, whatever that request's fate. The governance checks of ``propose_policy_change`` apply —
for a flow principal that means the guardrails and the sample-size and confidence floors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.db.models.insights import Recommendation
from core.governance.changes import Proposal, propose_policy_change
from core.governance.roles import Principal
from core.governance.rules import GovernanceRules
from core.recommend.handoff import proposed_change

# The newest change request linking each recommendation (ids are stored as JSON numbers or strings).
_LINKED = text(
    "SELECT DISTINCT ON (rec_id) rec_id::bigint, id, status FROM ("
    " SELECT jsonb_array_elements_text(evidence -> 'links' -> 'recommendation_ids') AS rec_id, id, status"
    " FROM change_requests WHERE jsonb_typeof(evidence -> 'links' -> 'recommendation_ids') = 'array'"
    ") linked WHERE rec_id ~ '^[0-9]+$' ORDER BY rec_id::bigint, id DESC"
)


@dataclass(frozen=True)
class LinkedRequest:
    request_id: int
    status: str


def linked_requests(session: Session) -> dict[int, LinkedRequest]:
    """Recommendation id → the newest change request that links it."""
    return {int(rec): LinkedRequest(int(request_id), status) for rec, request_id, status in session.execute(_LINKED)}


def linked_recommendation_ids(session: Session) -> set[int]:
    return set(linked_requests(session))


def accepted_not_proposed(session: Session) -> list[int]:
    """Accepted recommendations that no change request links to yet, oldest first."""
    linked = linked_recommendation_ids(session)
    ids = session.scalars(
        select(Recommendation.id).where(Recommendation.status == "accepted").order_by(Recommendation.id)
    ).all()
    return [i for i in ids if i not in linked]


def propose_from_recommendation(
    session: Session,
    *,
    actor: Principal,
    rules: GovernanceRules,
    recommendation_id: int,
    now: datetime | None = None,
) -> Proposal:
    """Open a ``policy_change`` request for an accepted recommendation (the candidate version is created)."""
    change = proposed_change(session, recommendation_id=recommendation_id)
    return propose_policy_change(
        session,
        actor=actor,
        rules=rules,
        prompt_name=change.prompt,
        label=change.label,
        reason=change.reason,
        policy=change.policy,
        token_budget=change.token_budget,
        evidence=change.evidence,
        now=now,
    )
