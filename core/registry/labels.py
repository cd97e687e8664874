"""Labels point at versions; every move is recorded so any earlier state can be shown and restored."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from core.db.models.registry import Label, LabelMove, Prompt, PromptVersion
from core.errors import NotFoundError, ValidationError
from core.governance.audit import record_event
from core.registry.prompts import get_prompt
from core.registry.versions import get_version

_LABEL = re.compile(r"^[a-z][a-z0-9_.\-]{0,63}$")


@dataclass(frozen=True)
class LabelMoveResult:
    label: str
    from_version: str | None
    to_version: str
    moved: bool  # False when the label already pointed at the version
    move: LabelMove | None


@dataclass(frozen=True)
class LabelHistoryEntry:
    id: int
    label: str
    from_version: str | None
    to_version: str
    kind: str
    actor: str
    reason: str
    moved_at: datetime
    change_request_id: int | None


def current_labels(session: Session, *, prompt: Prompt) -> dict[str, str]:
    """Label name → version string."""
    rows = session.execute(
        select(Label.name, PromptVersion.version)
        .join(PromptVersion, PromptVersion.id == Label.version_id)
        .where(Label.prompt_id == prompt.id)
        .order_by(Label.name)
    ).all()
    return {name: version for name, version in rows}  # noqa: C416  (rows are Row objects)


def move_label(
    session: Session,
    *,
    prompt_name: str,
    label: str,
    version: str,
    actor: str,
    reason: str,
    kind: str = "set",
    change_request_id: int | None = None,
    moved_at: datetime | None = None,
) -> LabelMoveResult:
    """Point ``label`` at ``version`` (creating the label on first use) and record the move.

    ``moved_at`` back-dates the move when importing history (default: now); the audit event is
    always stamped with the real time.
    """
    if not _LABEL.match(label):
        raise ValidationError(f"invalid label '{label}': lowercase letters, digits, '_', '-', '.'")
    if not reason.strip():
        raise ValidationError("a reason is required for every label move")
    prompt = get_prompt(session, name=prompt_name, for_update=True)
    target = get_version(session, prompt=prompt, version=version)
    row = session.scalar(select(Label).where(Label.prompt_id == prompt.id, Label.name == label).with_for_update())
    previous = session.get(PromptVersion, row.version_id) if row is not None else None
    if row is not None and row.version_id == target.id:
        return LabelMoveResult(
            label=label, from_version=target.version, to_version=target.version, moved=False, move=None
        )
    if row is None:
        row = Label(prompt_id=prompt.id, name=label, version_id=target.id, updated_by=actor)
        session.add(row)
    else:
        row.version_id = target.id
        row.updated_by = actor
    move = LabelMove(
        prompt_id=prompt.id,
        label=label,
        from_version_id=previous.id if previous else None,
        to_version_id=target.id,
        kind=kind,
        actor=actor,
        reason=reason.strip(),
        change_request_id=change_request_id,
    )
    if moved_at is not None:
        move.moved_at = moved_at
        row.updated_at = moved_at
    session.add(move)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="label.rolled_back" if kind == "rollback" else "label.moved",
        entity_type="label",
        entity_id=f"{prompt.name}:{label}",
        before={"version": previous.version if previous else None},
        after={"version": target.version, "reason": reason.strip(), "label_move_id": move.id},
    )
    return LabelMoveResult(
        label=label,
        from_version=previous.version if previous else None,
        to_version=target.version,
        moved=True,
        move=move,
    )


def rollback_target(history: Sequence[LabelHistoryEntry]) -> str | None:
    """The version a rollback of this label returns to by default (None: there is none), from its moves
    oldest first.

    The moves are read as a stack: a forward move pushes the version it replaced; a rollback pops back to
    the version it returned to, which is then current. So a second rollback goes one step further back
    (1.1.1 → 1.1.0, then → 1.0.0), never forward to the version the first one left.
    """
    stack: list[str] = []
    for move in history:
        if move.kind == "rollback":
            while stack and stack[-1] != move.to_version:
                stack.pop()
            if stack:
                stack.pop()
        elif move.from_version is not None:
            stack.append(move.from_version)
    return stack[-1] if stack else None


def previous_version(session: Session, *, prompt: Prompt, label: str) -> str:
    """The version a rollback of ``label`` returns to by default (:func:`rollback_target`)."""
    history = label_history(session, prompt=prompt, label=label)
    if not history:
        raise NotFoundError(f"prompt '{prompt.name}' has no label '{label}'")
    target = rollback_target(history)
    if target is None:
        raise ValidationError(f"label '{label}' of '{prompt.name}' has no earlier version to roll back to")
    return target


def rollback_label(
    session: Session,
    *,
    prompt_name: str,
    label: str,
    actor: str,
    reason: str,
    to: str | None = None,
    change_request_id: int | None = None,
) -> LabelMoveResult:
    """Move ``label`` back to ``to`` (default: its previous version); recorded as a rollback."""
    prompt = get_prompt(session, name=prompt_name, for_update=True)
    target = to or previous_version(session, prompt=prompt, label=label)
    current = current_labels(session, prompt=prompt).get(label)
    if current is None:
        raise NotFoundError(f"prompt '{prompt_name}' has no label '{label}'")
    if current == target:
        raise ValidationError(f"label '{label}' already points at {target}; nothing to roll back")
    return move_label(
        session,
        prompt_name=prompt_name,
        label=label,
        version=target,
        actor=actor,
        reason=reason,
        kind="rollback",
        change_request_id=change_request_id,
    )


def label_history(session: Session, *, prompt: Prompt, label: str | None = None) -> Sequence[LabelHistoryEntry]:
    """Every move of the prompt's labels (or of one label), oldest first."""
    source = aliased(PromptVersion)
    target = aliased(PromptVersion)
    query = (
        select(LabelMove, source.version, target.version)
        .join(target, target.id == LabelMove.to_version_id)
        .outerjoin(source, source.id == LabelMove.from_version_id)
        .where(LabelMove.prompt_id == prompt.id)
        .order_by(LabelMove.id)
    )
    if label is not None:
        query = query.where(LabelMove.label == label)
    return [
        LabelHistoryEntry(
            id=move.id,
            label=move.label,
            from_version=from_version,
            to_version=to_version,
            kind=move.kind,
            actor=move.actor,
            reason=move.reason,
            moved_at=move.moved_at,
            change_request_id=move.change_request_id,
        )
        for move, from_version, to_version in session.execute(query).all()
    ]
