"""Insights for the console and the CLI: list, get, acknowledge, resolve, dismiss (audited)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from core.db.models.insights import CATEGORIES, INSIGHT_STATUSES, PRIORITIES, Insight
from core.db.models.registry import Prompt
from core.errors import ConflictError, NotFoundError, ValidationError
from core.governance.audit import record_event

# action -> (statuses it may start from, resulting status, whether a note is required)
ACTIONS: dict[str, tuple[tuple[str, ...], str, bool]] = {
    "acknowledge": (("open",), "acknowledged", False),
    "resolve": (("open", "acknowledged"), "resolved", False),
    "dismiss": (("open", "acknowledged"), "dismissed", True),
}


@dataclass(frozen=True)
class InsightView:
    id: int
    prompt: str
    key: str
    rule: str
    category: str
    priority: str
    status: str
    title: str
    description: str
    action_items: list[str]
    evidence: dict[str, Any]
    condition_present: bool
    first_seen_at: datetime
    last_seen_at: datetime
    times_opened: int
    status_by: str | None
    status_at: datetime | None
    status_note: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("first_seen_at", "last_seen_at", "status_at"):
            data[name] = data[name].isoformat() if data[name] is not None else None
        return data


def _view(insight: Insight, prompt: str) -> InsightView:
    return InsightView(
        id=insight.id,
        prompt=prompt,
        key=insight.key,
        rule=insight.rule,
        category=insight.category,
        priority=insight.priority,
        status=insight.status,
        title=insight.title,
        description=insight.description,
        action_items=list(insight.action_items),
        evidence=dict(insight.evidence),
        condition_present=insight.condition_present,
        first_seen_at=insight.first_seen_at,
        last_seen_at=insight.last_seen_at,
        times_opened=insight.times_opened,
        status_by=insight.status_by,
        status_at=insight.status_at,
        status_note=insight.status_note,
    )


def _check_choice(what: str, values: Sequence[str] | None, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(values or ()) - set(allowed))
    if unknown:
        raise ValidationError(f"unknown {what} {', '.join(unknown)}; choose from {', '.join(allowed)}")


def list_insights(
    session: Session,
    *,
    prompt: str | None = None,
    status: Sequence[str] | None = None,
    priority: Sequence[str] | None = None,
    category: Sequence[str] | None = None,
    limit: int = 200,
) -> list[InsightView]:
    """Most urgent first: live before closed, then by priority, then most recently seen."""
    _check_choice("status", status, INSIGHT_STATUSES)
    _check_choice("priority", priority, PRIORITIES)
    _check_choice("category", category, CATEGORIES)
    live_first = case((Insight.status.in_(("open", "acknowledged")), 0), else_=1)
    rank = case({p: i for i, p in enumerate(PRIORITIES)}, value=Insight.priority)
    query = (
        select(Insight, Prompt.name)
        .join(Prompt, Prompt.id == Insight.prompt_id)
        .order_by(live_first, rank, Insight.last_seen_at.desc(), Insight.id.desc())
        .limit(limit)
    )
    if prompt is not None:
        query = query.where(Prompt.name == prompt)
    if status:
        query = query.where(Insight.status.in_(list(status)))
    if priority:
        query = query.where(Insight.priority.in_(list(priority)))
    if category:
        query = query.where(Insight.category.in_(list(category)))
    return [_view(insight, name) for insight, name in session.execute(query).all()]


def get_insight(session: Session, *, insight_id: int) -> InsightView:
    row = session.execute(
        select(Insight, Prompt.name).join(Prompt, Prompt.id == Insight.prompt_id).where(Insight.id == insight_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no insight #{insight_id} (see `promptloop insights list`)")
    return _view(row[0], row[1])


def _act(session: Session, *, insight_id: int, action: str, actor: str, note: str) -> InsightView:
    allowed_from, target, note_required = ACTIONS[action]
    if note_required and not note.strip():
        raise ValidationError(f"a note is required to {action} an insight: say why")
    insight = session.scalar(select(Insight).where(Insight.id == insight_id).with_for_update())
    if insight is None:
        raise NotFoundError(f"no insight #{insight_id} (see `promptloop insights list`)")
    if insight.status not in allowed_from:
        raise ConflictError(
            f"insight #{insight_id} is {insight.status}; only {' or '.join(allowed_from)} insights can be {target}"
        )
    before = {"status": insight.status}
    now = datetime.now(UTC)
    insight.status = target
    insight.status_by = actor
    insight.status_at = now
    insight.status_note = note.strip()
    insight.updated_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action=f"insight.{target}",
        entity_type="insight",
        entity_id=insight.id,
        before=before,
        after={"status": target, "note": note.strip()},
    )
    return get_insight(session, insight_id=insight_id)


def acknowledge(session: Session, *, insight_id: int, actor: str, note: str = "") -> InsightView:
    return _act(session, insight_id=insight_id, action="acknowledge", actor=actor, note=note)


def resolve(session: Session, *, insight_id: int, actor: str, note: str = "") -> InsightView:
    """Mark fixed. If the condition is still found at the next discovery, the insight reopens."""
    return _act(session, insight_id=insight_id, action="resolve", actor=actor, note=note)


def dismiss(session: Session, *, insight_id: int, actor: str, note: str) -> InsightView:
    """Silence: not reopened while the same condition persists (a note saying why is required)."""
    return _act(session, insight_id=insight_id, action="dismiss", actor=actor, note=note)
