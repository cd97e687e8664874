"""Deciding on change requests: approve (and apply when due), reject, comment, apply, apply_due.

Role checks happen here, for every caller: operators approve, reject, comment and apply; flows may
comment and apply requests a person approved (``apply_due``), never approve or reject; approving a
change that removes or demotes a guardrail section needs an admin and a comment giving the reason.
With the two-person rule on (the default) the requester cannot approve their own request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from core.db.engine import transaction
from core.db.models.governance import ChangeRequest, ChangeRequestComment
from core.db.models.insights import Recommendation
from core.errors import ConflictError, NotFoundError, PermissionDeniedError, PromptloopError, ValidationError
from core.governance.apply import (
    ApplyResult,
    announce,
    apply_locked,
    is_due,
    lock_request,
    refuse_unavailable,
    transition,
)
from core.governance.audit import record_event
from core.governance.guardrails import GuardrailFindings
from core.governance.queries import ChangeRequestView, CommentView, view_of
from core.governance.roles import Action, Principal, require
from core.governance.rules import GovernanceRules

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    request: ChangeRequestView
    applied: ApplyResult | None  # None: approved, waiting for its apply window (or rejected)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _already(row: ChangeRequest, what: str) -> ConflictError:
    by = f" by {row.decided_by} at {row.decided_at:%Y-%m-%d %H:%M:%S %Z}" if row.decided_by and row.decided_at else ""
    detail = f" ({row.status_detail})" if row.status_detail else ""
    return ConflictError(f"change request #{row.id} is already {row.status}{by}{detail}; nothing to {what}")


def _add_comment_row(session: Session, row: ChangeRequest, *, author: str, body: str) -> ChangeRequestComment:
    comment = ChangeRequestComment(change_request_id=row.id, author=author, body=body.strip())
    session.add(comment)
    session.flush()
    return comment


def proposers(session: Session, request: ChangeRequest | ChangeRequestView) -> dict[str, str]:
    """Who stands behind a change, each with how: its requester, and whoever accepted a recommendation it
    comes from (a flow opens those requests, but the person who accepted proposed the change). Under the
    two-person rule none of them may approve it."""
    found = {request.requested_by: f"you requested change #{request.id}"}
    links = request.evidence.get("links") or {}
    ids = {int(i) for i in links.get("recommendation_ids") or [] if str(i).isdigit()}
    if ids:
        accepted = session.execute(
            select(Recommendation.id, Recommendation.decided_by)
            .where(Recommendation.id.in_(ids), Recommendation.status == "accepted")
            .order_by(Recommendation.id)
        ).all()
        for recommendation_id, person in accepted:
            if person:
                found.setdefault(
                    person, f"you accepted recommendation #{recommendation_id}, which change #{request.id} comes from"
                )
    return found


def approve(
    session: Session,
    *,
    actor: Principal,
    rules: GovernanceRules,
    request_id: int,
    comment: str | None = None,
    now: datetime | None = None,
) -> Decision:
    """Approve a pending request; apply it in the same transaction if its apply window has come."""
    require(actor, Action.APPROVE)
    at = _now(now)
    row = lock_request(session, request_id)
    if row.status != "pending":
        raise _already(row, "approve")
    if rules.two_person_rule and (why := proposers(session, row).get(actor.actor)) is not None:
        raise PermissionDeniedError(f"{why}; under the two-person rule another operator must approve it")
    findings = GuardrailFindings.from_dict(row.evidence.get("guardrails"))
    if findings.weakens:
        require(actor, Action.REMOVE_GUARDRAIL)
        if not (comment or "").strip():
            names = ", ".join(findings.removed + findings.demoted)
            raise ValidationError(
                f"approving a change that removes or demotes guardrail section(s) {names} needs "
                "a comment giving the reason"
            )
    refuse_unavailable(row)
    if comment and comment.strip():
        _add_comment_row(session, row, author=actor.actor, body=comment)
    row.decided_by, row.decided_at = actor.actor, at
    transition(session, row, "approved", actor=actor.actor, now=at, audit={"comment": (comment or "").strip() or None})
    announce(session, row.id, "approved")
    applied = apply_locked(session, row, actor=actor, now=at) if is_due(row, at) else None
    return Decision(request=view_of(session, row.id), applied=applied)


def reject(
    session: Session, *, actor: Principal, request_id: int, comment: str, now: datetime | None = None
) -> ChangeRequestView:
    """Reject a pending request; a comment saying why is required."""
    require(actor, Action.REJECT)
    if not comment.strip():
        raise ValidationError("rejecting needs a comment saying why (--comment ...)")
    at = _now(now)
    row = lock_request(session, request_id)
    if row.status != "pending":
        raise _already(row, "reject")
    _add_comment_row(session, row, author=actor.actor, body=comment)
    row.decided_by, row.decided_at = actor.actor, at
    transition(session, row, "rejected", actor=actor.actor, now=at, audit={"comment": comment.strip()})
    announce(session, row.id, "rejected")
    return view_of(session, row.id)


def add_comment(session: Session, *, actor: Principal, request_id: int, text: str) -> CommentView:
    """Comment on a request in any state (comments are append-only)."""
    require(actor, Action.COMMENT)
    if not text.strip():
        raise ValidationError("a comment needs some text")
    row = session.get(ChangeRequest, request_id)
    if row is None:
        raise NotFoundError(f"unknown change request #{request_id} (see `promptloop changes list`)")
    comment = _add_comment_row(session, row, author=actor.actor, body=text)
    record_event(
        session,
        actor=actor.actor,
        action="change_request.commented",
        entity_type="change_request",
        entity_id=row.id,
        after={"comment_id": comment.id, "text": comment.body},
    )
    return CommentView(comment.id, comment.author, comment.body, comment.created_at)


def apply_change_request(
    session: Session, *, actor: Principal, request_id: int, now: datetime | None = None
) -> ApplyResult:
    """Apply an approved request whose apply window has come (normally ``apply_due`` does this)."""
    require(actor, Action.APPLY)
    at = _now(now)
    row = lock_request(session, request_id)
    if row.status == "pending":
        raise ConflictError(
            f"change request #{row.id} is pending; approve it first (`promptloop changes approve {row.id}`)"
        )
    if row.status != "approved":
        raise _already(row, "apply")
    if not is_due(row, at):
        raise ValidationError(f"change request #{row.id} may be applied from {row.apply_after:%Y-%m-%d %H:%M %Z} on")
    return apply_locked(session, row, actor=actor, now=at)


def _due_ids(session: Session, at: datetime) -> list[int]:
    return list(
        session.scalars(
            select(ChangeRequest.id)
            .where(
                ChangeRequest.status == "approved",
                or_(ChangeRequest.apply_after.is_(None), ChangeRequest.apply_after <= at),
            )
            .order_by(ChangeRequest.id)
        )
    )


def _apply_one(session: Session, request_id: int, *, actor: Principal, at: datetime) -> ApplyResult:
    row = lock_request(session, request_id)
    if row.status != "approved" or not is_due(row, at):  # someone else got there first
        return ApplyResult(request_id, "skipped", f"request is {row.status}")
    return apply_locked(session, row, actor=actor, now=at)


def apply_due(target: Engine | Session, *, actor: Principal, now: datetime | None = None) -> list[ApplyResult]:
    """Apply every approved request whose window has come; one bad request does not stop the rest.

    Given an engine, each request is applied in its own transaction (so a stale or failing request
    is recorded and commits on its own, and row locks are held briefly) — this is why it may own
    transactions. Given a session, each request runs in a savepoint of the caller's transaction.
    """
    require(actor, Action.APPLY)
    at = _now(now)
    results = []
    if isinstance(target, Session):
        for request_id in _due_ids(target, at):
            results.append(_isolated(partial(_nested, target, request_id, actor=actor, at=at), request_id))
        return results
    with transaction(target) as session:
        due = _due_ids(session, at)
    for request_id in due:
        results.append(_isolated(partial(_own_transaction, target, request_id, actor=actor, at=at), request_id))
    return results


def _nested(session: Session, request_id: int, *, actor: Principal, at: datetime) -> ApplyResult:
    with session.begin_nested():
        return _apply_one(session, request_id, actor=actor, at=at)


def _own_transaction(engine: Engine, request_id: int, *, actor: Principal, at: datetime) -> ApplyResult:
    with transaction(engine) as session:
        return _apply_one(session, request_id, actor=actor, at=at)


def _isolated(run: Callable[[], ApplyResult], request_id: int) -> ApplyResult:
    try:
        return run()
    except PromptloopError as exc:
        logger.warning("change request #%s was not applied: %s", request_id, exc)
        return ApplyResult(request_id, "error", str(exc))
