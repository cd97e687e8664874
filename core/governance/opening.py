"""Opening a label-change request: validate, run the guardrails, supersede, insert, decide if allowed.

The proposal functions in :mod:`core.governance.changes` build a :class:`LabelChange` and call
:func:`open_label_change`; this module owns the steps they share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.db.models.governance import OPEN_STATUSES, ChangeRequest
from core.db.models.registry import Label, Prompt, PromptVersion
from core.errors import PermissionDeniedError, ValidationError
from core.governance.apply import ApplyResult, announce, apply_locked, is_due, transition
from core.governance.audit import record_event
from core.governance.autoapply import auto_apply_classes, get_auto_apply
from core.governance.errors import GuardrailRefusedError
from core.governance.evidence import Evidence, diff_evidence
from core.governance.guardrails import (
    GuardrailFindings,
    Verdict,
    check_auto_apply,
    check_automated_proposal,
    guardrail_changes,
    risk_class,
)
from core.governance.queries import ChangeRequestView, view_of
from core.governance.roles import Action, Principal, require
from core.governance.rules import GovernanceRules

AUTO_APPLY_ACTOR = "policy:auto_apply"
_LABEL = re.compile(r"[a-z][a-z0-9_.\-]{0,63}")


@dataclass(frozen=True)
class Proposal:
    request: ChangeRequestView
    created: bool  # False: the same request was already open and is returned as it is
    superseded: tuple[int, ...] = ()
    applied: ApplyResult | None = None  # set when applied at once (apply_now or auto-apply)
    auto_apply: Verdict | None = None  # automated proposals: why it was (not) auto-applied


@dataclass(frozen=True)
class LabelChange:
    kind: str
    prompt: Prompt
    label: str
    target: PromptVersion
    reason: str
    evidence: Evidence
    payload: dict[str, Any]


def now_or(now: datetime | None) -> datetime:
    value = now or datetime.now(UTC)
    if value.tzinfo is None:
        raise ValidationError("times must carry a time zone (e.g. 2026-01-31T09:00+00:00)")
    return value


def refuse_if(verdict: Verdict, actor: Principal, label: str | None) -> None:
    if not verdict.allowed:
        where = f" for label {label}" if label else ""
        raise GuardrailRefusedError(verdict.code, f"{actor.actor} may not propose this change{where}: {verdict.reason}")


def current_version(session: Session, *, prompt: Prompt, label: str) -> PromptVersion | None:
    return session.scalar(
        select(PromptVersion)
        .join(Label, Label.version_id == PromptVersion.id)
        .where(Label.prompt_id == prompt.id, Label.name == label)
    )


def open_label_change(
    session: Session,
    change: LabelChange,
    *,
    actor: Principal,
    rules: GovernanceRules,
    apply_after: datetime | None,
    apply_now: bool,
    now: datetime | None,
) -> Proposal:
    """Open the request (the caller holds the prompt's row lock) and, where allowed, apply it."""
    at = now_or(now)
    _check_request(change, actor=actor, apply_after=apply_after, apply_now=apply_now)
    current = current_version(session, prompt=change.prompt, label=change.label)
    if current is not None and current.id == change.target.id:
        raise ValidationError(
            f"label {change.label} of {change.prompt.name} already points at {change.target.version}; nothing to change"
        )
    if apply_now and change.kind != "rollback" and current is not None and rules.two_person_rule:
        # Applying at once skips the second person: fine for going back to what the label had, and for a
        # label's first version (nothing uses it yet); a promotion of what is in use waits for a reviewer.
        raise PermissionDeniedError(
            f"moving {change.label} of {change.prompt.name} from {current.version} to {change.target.version} "
            "needs another operator's approval under the two-person rule (applying at once is for rollbacks "
            "and a label's first version): open the request without --apply"
        )
    findings = guardrail_changes(current.content if current else None, change.target.content)
    automated = None
    if actor.is_flow:
        automated = check_automated_proposal(findings=findings, evidence=change.evidence, rules=rules)
        refuse_if(automated, actor, change.label)
    current_id = current.id if current is not None else None
    open_row = _open_request(session, change)
    if open_row is not None and not apply_now and _same_change(open_row, change, current_id):
        return Proposal(request=view_of(session, open_row.id), created=False)
    new_id = int(session.scalar(select(func.nextval(text("pg_get_serial_sequence('change_requests', 'id')")))) or 0)
    superseded = _supersede(session, open_row, by=new_id, change=change, actor=actor, at=at)
    row = ChangeRequest(
        id=new_id,
        kind=change.kind,
        status="pending",
        prompt_id=change.prompt.id,
        label=change.label,
        base_version_id=current_id,
        target_version_id=change.target.id,
        payload=change.payload,
        evidence=_stored_evidence(change, current=current, findings=findings),
        reason=change.reason,
        requested_by=actor.actor,
        requester_kind=actor.kind,
        apply_after=apply_after,
        created_at=at,
        updated_at=at,
    )
    session.add(row)
    session.flush()
    record_opened(session, row)
    applied, auto = _decide_without_review(session, row, change, actor=actor, apply_now=apply_now, automated=automated)
    return Proposal(view_of(session, row.id), created=True, superseded=superseded, applied=applied, auto_apply=auto)


def _check_request(change: LabelChange, *, actor: Principal, apply_after: datetime | None, apply_now: bool) -> None:
    if apply_after is not None:
        now_or(apply_after)
    if apply_now:
        require(actor, Action.APPLY_IMMEDIATELY)
        if apply_after is not None:
            raise ValidationError("apply now or apply after a time, not both")
    if not _LABEL.fullmatch(change.label):
        raise ValidationError(f"invalid label '{change.label}': lowercase letters, digits, '_', '-', '.'")


def _open_request(session: Session, change: LabelChange) -> ChangeRequest | None:
    """The open request of this prompt+label (at most one: a partial unique index), locked."""
    return session.scalar(
        select(ChangeRequest)
        .where(
            ChangeRequest.prompt_id == change.prompt.id,
            ChangeRequest.label == change.label,
            ChangeRequest.status.in_(OPEN_STATUSES),
        )
        .with_for_update()
    )


def _same_change(row: ChangeRequest, change: LabelChange, current_id: int | None) -> bool:
    return (row.kind, row.target_version_id, row.base_version_id) == (change.kind, change.target.id, current_id)


def _supersede(
    session: Session, row: ChangeRequest | None, *, by: int, change: LabelChange, actor: Principal, at: datetime
) -> tuple[int, ...]:
    if row is None:
        return ()
    row.superseded_by_id = by  # the foreign key is deferred: request #by is inserted next
    transition(
        session,
        row,
        "superseded",
        actor=actor.actor,
        now=at,
        detail=f"superseded by #{by}: {change.kind} to {change.target.version} by {actor.actor}",
        audit={"superseded_by": by},
    )
    return (row.id,)


def _decide_without_review(
    session: Session,
    row: ChangeRequest,
    change: LabelChange,
    *,
    actor: Principal,
    apply_now: bool,
    automated: Verdict | None,
) -> tuple[ApplyResult | None, Verdict | None]:
    """An admin's immediate apply, or an enabled auto-apply policy; otherwise the request waits."""
    at = row.created_at
    if apply_now:
        audit = {"immediate": True, "reason": row.reason}
        return approve_and_apply(session, row, actor=actor, decided_by=actor.actor, now=at, audit=audit), None
    if automated is None:
        return None, None
    enabled = auto_apply_classes(session, prompt_id=change.prompt.id)
    auto = check_auto_apply(risk=row.evidence.get("risk_class"), enabled=enabled, automated_verdict=automated)
    if not auto.allowed:
        return None, auto
    row.auto_approved = True
    policy = get_auto_apply(session, prompt_name=change.prompt.name)
    audit = {
        "auto_apply": True,
        "risk_class": row.evidence.get("risk_class"),
        "policy_enabled_by": policy.enabled_by if policy else None,
    }
    return approve_and_apply(session, row, actor=actor, decided_by=AUTO_APPLY_ACTOR, now=at, audit=audit), auto


def _stored_evidence(
    change: LabelChange, *, current: PromptVersion | None, findings: GuardrailFindings
) -> dict[str, Any]:
    stored = change.evidence.model_dump(mode="json")
    stored["diff"] = diff_evidence(
        current.content if current else None,
        change.target.content,
        prompt=change.prompt.name,
        from_version=current.version if current else None,
        to_version=change.target.version,
    )
    stored["guardrails"] = findings.as_dict()
    stored["risk_class"] = risk_class(change.kind, current.content if current else None, change.target.content)
    return stored


def record_opened(session: Session, row: ChangeRequest) -> None:
    record_event(
        session,
        actor=row.requested_by,
        action="change_request.opened",
        entity_type="change_request",
        entity_id=row.id,
        after={
            "status": row.status,
            "kind": row.kind,
            "label": row.label,
            "base_version_id": row.base_version_id,
            "target_version_id": row.target_version_id,
            "reason": row.reason,
            "requester_kind": row.requester_kind,
        },
    )
    announce(session, row.id, "opened")


def approve_and_apply(
    session: Session, row: ChangeRequest, *, actor: Principal, decided_by: str, now: datetime, audit: dict[str, Any]
) -> ApplyResult | None:
    """Approve without review (an admin's immediate apply, or an auto-apply policy) and apply if due."""
    row.decided_by, row.decided_at = decided_by, now
    transition(session, row, "approved", actor=decided_by, now=now, audit=audit)
    announce(session, row.id, "approved")
    if not is_due(row, now):
        return None
    return apply_locked(session, row, actor=actor, now=now)
