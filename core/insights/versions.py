"""Registry look-ups the insight engine and the weekly analysis need: label moves and the serving version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core.db.models.registry import Label, LabelMove, PromptVersion
from core.db.models.tracking import RollupHourly

PRODUCTION = "production"


@dataclass(frozen=True)
class LabelMoveInfo:
    label: str
    from_version: str | None
    from_version_id: int | None
    to_version: str
    to_version_id: int
    moved_at: datetime
    kind: str


def latest_moves(session: Session, *, prompt_id: int, labels: Sequence[str], before: datetime) -> list[LabelMoveInfo]:
    """The latest move (at or before ``before``) of each of ``labels`` that has moved."""
    source, target = aliased(PromptVersion), aliased(PromptVersion)
    rows = session.execute(
        select(LabelMove, source.version, target.version)
        .join(target, target.id == LabelMove.to_version_id)
        .outerjoin(source, source.id == LabelMove.from_version_id)
        .where(LabelMove.prompt_id == prompt_id, LabelMove.label.in_(list(labels)), LabelMove.moved_at <= before)
        .order_by(LabelMove.label, LabelMove.moved_at.desc(), LabelMove.id.desc())
    ).all()
    latest: dict[str, LabelMoveInfo] = {}
    for move, from_version, to_version in rows:
        if move.label not in latest:
            latest[move.label] = LabelMoveInfo(
                label=move.label,
                from_version=from_version,
                from_version_id=move.from_version_id,
                to_version=to_version,
                to_version_id=move.to_version_id,
                moved_at=move.moved_at,
                kind=move.kind,
            )
    return [latest[label] for label in labels if label in latest]


def serving_version(session: Session, *, prompt_id: int, start: datetime, end: datetime) -> PromptVersion | None:
    """The version the ``production`` label points at; without one, the version with most executions."""
    version = session.scalar(
        select(PromptVersion)
        .join(Label, Label.version_id == PromptVersion.id)
        .where(Label.prompt_id == prompt_id, Label.name == PRODUCTION)
    )
    if version is not None:
        return version
    busiest = session.scalar(
        select(RollupHourly.version_id)
        .where(RollupHourly.prompt_id == prompt_id, RollupHourly.hour >= start, RollupHourly.hour < end)
        .group_by(RollupHourly.version_id)
        .order_by(func.sum(RollupHourly.executions).desc(), RollupHourly.version_id)
        .limit(1)
    )
    return session.get(PromptVersion, busiest) if busiest is not None else None
