"""Status transitions and applying a change request: one transaction, optimistic check, exactly once.

Locking order, used by every writer of change requests and labels, so concurrent writers queue
instead of deadlocking: the prompt row, then the request row(s), then the label row
(``move_label`` locks the prompt and the label the same way).

Apply, with the request row locked and ``approved``:

1. lock the label row and compare its version with the request's ``base_version_id`` (the label's
   version when the request was made); if the label moved since, the request becomes ``stale``
   with an explanation and nothing is applied;
2. otherwise move the label through ``core.registry.labels.move_label(..., change_request_id=...)``
   inside a savepoint, so the move lands in the label history; a domain error there rolls the
   savepoint back and the request becomes ``failed`` with the error;
3. the request becomes ``applied``. Every transition is an audit event and a notification.

Two approvers racing on one request serialise on the row locks; the second one finds the request
no longer pending and gets a :class:`~core.errors.ConflictError`, so the label moves exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models.governance import ChangeRequest
from core.db.models.registry import Label, LabelMove, Prompt, PromptVersion
from core.errors import NotFoundError, PromptloopError
from core.governance.audit import record_event
from core.governance.errors import NotAvailableError
from core.governance.queries import view_of
from core.governance.roles import Principal
from core.governance.states import check_transition
from core.notify.events import Event, notify
from core.registry.labels import move_label

EXPERIMENT_KINDS = ("start_experiment", "stop_experiment")
_EVENT_VERBS = {
    "opened": "opened",
    "approved": "approved",
    "rejected": "rejected",
    "applied": "applied",
    "failed": "failed",
    "stale": "is stale",
}


@dataclass(frozen=True)
class ApplyResult:
    request_id: int
    status: str  # applied | stale | failed | skipped (not approved or not due) | error (apply_due only)
    detail: str = ""
    label_move_id: int | None = None


def lock_request(session: Session, request_id: int) -> ChangeRequest:
    """Lock the request's prompt row, then the request row, and return the fresh request."""
    prompt_id = session.scalar(select(ChangeRequest.prompt_id).where(ChangeRequest.id == request_id))
    if prompt_id is None:
        raise NotFoundError(f"unknown change request #{request_id} (see `promptloop changes list`)")
    session.execute(select(Prompt.id).where(Prompt.id == prompt_id).with_for_update())
    row = session.scalar(
        select(ChangeRequest)
        .where(ChangeRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None  # requests are never deleted (trigger)
    return row


def transition(
    session: Session,
    row: ChangeRequest,
    to: str,
    *,
    actor: str,
    now: datetime,
    detail: str = "",
    audit: dict[str, Any] | None = None,
) -> None:
    """Move ``row`` to status ``to`` (a legal edge only) and record the audit event."""
    check_transition(row.id, row.status, to)
    before = row.status
    row.status = to
    row.updated_at = now
    if detail:
        row.status_detail = detail
    session.flush()
    after: dict[str, Any] = {"status": to} | (audit or {})
    if detail:
        after["detail"] = detail
    record_event(
        session,
        actor=actor,
        action=f"change_request.{to}",
        entity_type="change_request",
        entity_id=row.id,
        before={"status": before},
        after=after,
    )


def announce(session: Session, request_id: int, what: str) -> None:
    """Queue the notification of a request event (delivered after commit by the outbox)."""
    view = view_of(session, request_id)
    title = f"Change request {view.title()} {_EVENT_VERBS[what]}"
    data = {"change_request": view.summary_dict()}
    notify(session, Event(type=f"change_request.{what}", title=title, data=data))
    if what == "applied" and view.kind == "rollback":
        notify(session, Event(type="rollback.applied", title=f"Rolled back: {view.title()}", data=data))


def is_due(row: ChangeRequest, now: datetime) -> bool:
    return row.apply_after is None or row.apply_after <= now


def refuse_unavailable(row: ChangeRequest) -> None:
    if row.kind in EXPERIMENT_KINDS:
        raise NotAvailableError(
            f"change request #{row.id} is a {row.kind} request: experiments are not available yet, so it "
            "cannot be approved or applied; leave it pending or reject it"
        )


def apply_locked(session: Session, row: ChangeRequest, *, actor: Principal, now: datetime) -> ApplyResult:
    """Apply an approved, locked request (see the module docstring). Returns what happened."""
    refuse_unavailable(row)
    prompt = session.get(Prompt, row.prompt_id)
    target = session.get(PromptVersion, row.target_version_id)
    assert prompt is not None  # foreign key
    assert target is not None  # check constraint: label changes have a target
    assert row.label is not None
    label_row = session.scalar(
        select(Label).where(Label.prompt_id == prompt.id, Label.name == row.label).with_for_update()
    )
    current_id = label_row.version_id if label_row is not None else None
    if current_id != row.base_version_id:
        detail = _stale_detail(session, row, prompt=prompt, current_id=current_id)
        transition(session, row, "stale", actor=actor.actor, now=now, detail=detail)
        announce(session, row.id, "stale")
        return ApplyResult(row.id, "stale", detail)
    try:
        with session.begin_nested():
            moved = move_label(
                session,
                prompt_name=prompt.name,
                label=row.label,
                version=target.version,
                actor=actor.actor,
                reason=row.reason,
                kind="rollback" if row.kind == "rollback" else "set",
                change_request_id=row.id,
            )
    except PromptloopError as exc:
        detail = f"applying failed and nothing changed: {exc}"
        transition(session, row, "failed", actor=actor.actor, now=now, detail=detail)
        announce(session, row.id, "failed")
        return ApplyResult(row.id, "failed", detail)
    move_id = moved.move.id if moved.move is not None else None
    row.applied_by, row.applied_at = actor.actor, now
    transition(
        session,
        row,
        "applied",
        actor=actor.actor,
        now=now,
        audit={"label": row.label, "from": moved.from_version, "to": moved.to_version, "label_move_id": move_id},
    )
    announce(session, row.id, "applied")
    return ApplyResult(
        row.id, "applied", f"label {row.label}: {moved.from_version or '∅'} → {moved.to_version}", move_id
    )


def _stale_detail(session: Session, row: ChangeRequest, *, prompt: Prompt, current_id: int | None) -> str:
    def version(vid: int | None) -> str:
        if vid is None:
            return "∅"
        found = session.get(PromptVersion, vid)
        return found.version if found is not None else "?"

    last = session.scalar(
        select(LabelMove)
        .where(LabelMove.prompt_id == prompt.id, LabelMove.label == row.label)
        .order_by(LabelMove.id.desc())
        .limit(1)
    )
    by = f" (last moved by {last.actor}: {last.reason})" if last is not None else ""
    return (
        f"label {row.label} of {prompt.name} pointed at {version(row.base_version_id)} when this request was made "
        f"and now points at {version(current_id)}{by}; nothing was applied — open a new request against the "
        "current version"
    )
