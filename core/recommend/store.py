"""Recommendations: stored from a weekly run (superseding older ones), listed, accepted or rejected (audited).

Statuses: ``new`` → ``accepted`` | ``rejected`` (a person decides, with a note), or ``new`` →
``superseded`` when a newer report brings a recommendation with the same (prompt, key), or no longer
supports it. Accepted and rejected recommendations are decisions and are never superseded; a later
recommendation with the same key cites the earlier decision in its evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models.insights import RECOMMENDATION_STATUSES, Recommendation
from core.db.models.registry import Prompt, PromptVersion
from core.errors import ConflictError, NotFoundError, ValidationError
from core.governance.audit import record_event
from core.recommend.gating import Proposal


@dataclass(frozen=True)
class RecommendationView:
    id: int
    prompt: str
    report_id: int
    key: str
    kind: str
    status: str
    title: str
    rationale: str
    observational: bool
    base_version: str
    payload: dict[str, Any]
    evidence: dict[str, Any]
    q_value: float | None
    confidence: float | None
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    status_detail: str
    superseded_by_id: int | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("created_at", "decided_at"):
            data[name] = data[name].isoformat() if data[name] is not None else None
        return data


def store_proposals(
    session: Session,
    *,
    report_id: int,
    proposals: Sequence[Proposal],
    analysed: dict[str, tuple[int, int]],  # prompt name -> (prompt id, serving version id)
    actor: str,
) -> list[Recommendation]:
    """Insert the run's recommendations; supersede the ``new`` ones of analysed prompts they replace."""
    prompt_ids = [ids[0] for ids in analysed.values()]
    open_rows = session.scalars(
        select(Recommendation)
        .where(Recommendation.prompt_id.in_(prompt_ids), Recommendation.status == "new")
        .with_for_update()
    ).all()
    decided = _latest_decisions(session, prompt_ids)
    created = []
    for proposal in proposals:
        prompt_id, version_id = analysed[proposal.prompt]
        row = _row(proposal, prompt_id=prompt_id, version_id=version_id, report_id=report_id)
        earlier = decided.get((prompt_id, proposal.key))
        if earlier is not None:
            row.evidence = row.evidence | {"previous_decision": _decision(earlier)}
        session.add(row)
        created.append(row)
    session.flush()
    _supersede(session, open_rows, {(r.prompt_id, r.key): r for r in created}, report_id=report_id, actor=actor)
    return created


def _row(proposal: Proposal, *, prompt_id: int, version_id: int, report_id: int) -> Recommendation:
    return Recommendation(
        prompt_id=prompt_id,
        report_id=report_id,
        key=proposal.key,
        kind=proposal.kind,
        status="new",
        title=proposal.title,
        rationale=proposal.rationale,
        observational=proposal.observational,
        base_version_id=version_id,
        payload=proposal.payload,
        evidence=dict(proposal.evidence),
        q_value=proposal.q_value,
        confidence=proposal.confidence,
    )


def _decision(row: Recommendation) -> dict[str, Any]:
    return {
        "recommendation_id": row.id,
        "status": row.status,
        "by": row.decided_by,
        "at": row.decided_at.isoformat() if row.decided_at else None,
        "note": row.decision_note,
    }


def _supersede(
    session: Session,
    open_rows: Sequence[Recommendation],
    newest: dict[tuple[int, str], Recommendation],
    *,
    report_id: int,
    actor: str,
) -> None:
    for old in open_rows:
        successor = newest.get((old.prompt_id, old.key))
        old.status = "superseded"
        old.superseded_by_id = successor.id if successor else None
        old.status_detail = (
            f"superseded by recommendation #{successor.id}"
            if successor
            else f"report #{report_id} no longer supports it"
        )
        record_event(
            session,
            actor=actor,
            action="recommendation.superseded",
            entity_type="recommendation",
            entity_id=old.id,
            before={"status": "new"},
            after={"status": "superseded", "detail": old.status_detail},
        )
    session.flush()


def _latest_decisions(session: Session, prompt_ids: list[int]) -> dict[tuple[int, str], Recommendation]:
    rows = session.scalars(
        select(Recommendation)
        .where(Recommendation.prompt_id.in_(prompt_ids), Recommendation.status.in_(("accepted", "rejected")))
        .order_by(Recommendation.decided_at)
    ).all()
    return {(r.prompt_id, r.key): r for r in rows}


def _query() -> Any:
    return (
        select(Recommendation, Prompt.name, PromptVersion.version)
        .join(Prompt, Prompt.id == Recommendation.prompt_id)
        .join(PromptVersion, PromptVersion.id == Recommendation.base_version_id)
    )


def _view(row: Recommendation, prompt: str, version: str) -> RecommendationView:
    return RecommendationView(
        id=row.id,
        prompt=prompt,
        report_id=row.report_id,
        key=row.key,
        kind=row.kind,
        status=row.status,
        title=row.title,
        rationale=row.rationale,
        observational=row.observational,
        base_version=version,
        payload=dict(row.payload),
        evidence=dict(row.evidence),
        q_value=row.q_value,
        confidence=row.confidence,
        created_at=row.created_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        status_detail=row.status_detail,
        superseded_by_id=row.superseded_by_id,
    )


def list_recommendations(
    session: Session,
    *,
    prompt: str | None = None,
    status: Sequence[str] | None = None,
    report_id: int | None = None,
    limit: int = 200,
) -> list[RecommendationView]:
    """Newest first."""
    unknown = sorted(set(status or ()) - set(RECOMMENDATION_STATUSES))
    if unknown:
        raise ValidationError(f"unknown status {', '.join(unknown)}; choose from {', '.join(RECOMMENDATION_STATUSES)}")
    query = _query().order_by(Recommendation.id.desc()).limit(limit)
    if prompt is not None:
        query = query.where(Prompt.name == prompt)
    if status:
        query = query.where(Recommendation.status.in_(list(status)))
    if report_id is not None:
        query = query.where(Recommendation.report_id == report_id)
    return [_view(*row) for row in session.execute(query).all()]


def get_recommendation(session: Session, *, recommendation_id: int) -> RecommendationView:
    row = session.execute(_query().where(Recommendation.id == recommendation_id)).first()
    if row is None:
        raise NotFoundError(f"no recommendation #{recommendation_id} (see `promptloop recommendations list`)")
    return _view(*row)


def _decide(session: Session, *, recommendation_id: int, status: str, actor: str, note: str) -> RecommendationView:
    if status == "rejected" and not note.strip():
        raise ValidationError("a note is required to reject a recommendation: say why")
    row = session.scalar(select(Recommendation).where(Recommendation.id == recommendation_id).with_for_update())
    if row is None:
        raise NotFoundError(f"no recommendation #{recommendation_id} (see `promptloop recommendations list`)")
    if row.status != "new":
        raise ConflictError(f"recommendation #{recommendation_id} is {row.status}; only new ones can be decided")
    row.status = status
    row.decided_by = actor
    row.decided_at = datetime.now(UTC)
    row.decision_note = note.strip()
    session.flush()
    record_event(
        session,
        actor=actor,
        action=f"recommendation.{status}",
        entity_type="recommendation",
        entity_id=row.id,
        before={"status": "new"},
        after={"status": status, "note": row.decision_note},
    )
    return get_recommendation(session, recommendation_id=recommendation_id)


def accept(session: Session, *, recommendation_id: int, actor: str, note: str = "") -> RecommendationView:
    """Accept; the proposed change for governance is :func:`core.recommend.handoff.proposed_change`."""
    return _decide(session, recommendation_id=recommendation_id, status="accepted", actor=actor, note=note)


def reject(session: Session, *, recommendation_id: int, actor: str, note: str) -> RecommendationView:
    return _decide(session, recommendation_id=recommendation_id, status="rejected", actor=actor, note=note)
