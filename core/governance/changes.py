"""Proposing changes: every change to what production uses starts as a change request.

Kinds:

* ``promote_version`` — move a label to a version;
* ``rollback`` — move a label back to a version it pointed at before;
* ``policy_change`` — a new candidate version (section policy and/or token budget changed, created
  now with ``origin="recommendation"``), then moving the label to it;
* ``start_experiment`` / ``stop_experiment`` — accepted and stored; approving or applying them
  raises :class:`~core.governance.errors.NotAvailableError` until experiments exist.

A new request for a prompt+label supersedes the open (pending or approved) one; proposing exactly
the open request again returns it (``created=False``), so flows can re-run safely. Automated
proposals (flow principals) pass the guardrail rules of :mod:`core.governance.guardrails` or are
refused with :class:`~core.governance.errors.GuardrailRefusedError`; they may be approved and
applied at once by an enabled auto-apply policy. An admin may apply a rollback, or a label's first
version, at once (``apply_now=True``) — still a change request, still audited; under the two-person
rule any other promotion waits for a second person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from core.db.models.governance import ChangeRequest
from core.db.models.registry import Prompt, PromptVersion
from core.errors import NotFoundError, ValidationError
from core.governance.apply import EXPERIMENT_KINDS
from core.governance.evidence import Evidence, parse_evidence
from core.governance.guardrails import GuardrailFindings, check_automated_proposal, guardrail_changes
from core.governance.opening import (
    LabelChange,
    Proposal,
    current_version,
    now_or,
    open_label_change,
    record_opened,
    refuse_if,
)
from core.governance.queries import view_of
from core.governance.roles import Action, Principal, require
from core.governance.rules import GovernanceRules
from core.registry.labels import label_history, rollback_target
from core.registry.prompts import get_prompt
from core.registry.spec import SectionPolicy, VersionContent
from core.registry.versions import add_version, get_version

__all__ = [
    "Proposal",
    "propose_experiment",
    "propose_policy_change",
    "propose_promotion",
    "propose_rollback",
]


def _start(session: Session, *, actor: Principal, prompt_name: str, reason: str) -> tuple[Prompt, str]:
    require(actor, Action.PROPOSE)
    if not reason.strip():
        raise ValidationError("a change request needs a reason: say why the change should be made")
    return get_prompt(session, name=prompt_name, for_update=True), reason.strip()


def propose_promotion(
    session: Session,
    *,
    actor: Principal,
    rules: GovernanceRules,
    prompt_name: str,
    label: str,
    version: str,
    reason: str,
    evidence: Evidence | dict[str, Any] | None = None,
    apply_after: datetime | None = None,
    apply_now: bool = False,
    now: datetime | None = None,
) -> Proposal:
    """Request moving ``label`` of ``prompt_name`` to ``version``."""
    prompt, why = _start(session, actor=actor, prompt_name=prompt_name, reason=reason)
    target = get_version(session, prompt=prompt, version=version)
    change = LabelChange(
        "promote_version", prompt, label, target, why, parse_evidence(evidence), {"to_version": target.version}
    )
    return open_label_change(
        session, change, actor=actor, rules=rules, apply_after=apply_after, apply_now=apply_now, now=now
    )


def propose_rollback(
    session: Session,
    *,
    actor: Principal,
    rules: GovernanceRules,
    prompt_name: str,
    label: str,
    reason: str,
    to: str | None = None,
    evidence: Evidence | dict[str, Any] | None = None,
    apply_after: datetime | None = None,
    apply_now: bool = False,
    now: datetime | None = None,
) -> Proposal:
    """Request moving ``label`` back to ``to`` (default: :func:`core.registry.labels.rollback_target`,
    the version before the current one was promoted; a second rollback goes further back).

    The target must be a version the label pointed at before (that is what makes it a rollback).
    """
    prompt, why = _start(session, actor=actor, prompt_name=prompt_name, reason=reason)
    history = label_history(session, prompt=prompt, label=label)
    if not history:
        raise NotFoundError(f"prompt '{prompt.name}' has no label '{label}'; there is nothing to roll back")
    if to is None:
        to = rollback_target(history)
        if to is None:
            raise ValidationError(f"label '{label}' of '{prompt.name}' has no earlier version to roll back to")
    elif to not in {h.to_version for h in history}:
        raise ValidationError(
            f"label '{label}' never pointed at {to}; a rollback returns to an earlier version "
            f"({', '.join(sorted({h.to_version for h in history}))}) — propose a promotion instead"
        )
    target = get_version(session, prompt=prompt, version=to)
    change = LabelChange("rollback", prompt, label, target, why, parse_evidence(evidence), {"to_version": to})
    return open_label_change(
        session, change, actor=actor, rules=rules, apply_after=apply_after, apply_now=apply_now, now=now
    )


def propose_policy_change(
    session: Session,
    *,
    actor: Principal,
    rules: GovernanceRules,
    prompt_name: str,
    label: str,
    reason: str,
    policy: SectionPolicy | dict[str, Any] | None = None,
    token_budget: int | None = None,
    evidence: Evidence | dict[str, Any] | None = None,
    apply_after: datetime | None = None,
    now: datetime | None = None,
) -> Proposal:
    """Create a candidate from the label's current version with a new section policy and/or token
    budget (``None``: unchanged; sections the new policy bans are dropped), then request the label
    move to it. The candidate is created now (``origin="recommendation"``) so reviewers see its diff.
    """
    prompt, why = _start(session, actor=actor, prompt_name=prompt_name, reason=reason)
    base = current_version(session, prompt=prompt, label=label)
    if base is None:
        raise NotFoundError(f"prompt '{prompt.name}' has no label '{label}'; a policy change starts from its version")
    candidate = _candidate(base, policy=policy, token_budget=token_budget, where=f"{prompt.name}@{base.version}")
    evidence_model = parse_evidence(evidence)
    findings = guardrail_changes(base.content, candidate.canonical())
    if actor.is_flow:  # refuse before creating a version automation may not propose
        refuse_if(check_automated_proposal(findings=findings, evidence=evidence_model, rules=rules), actor, label)
    added = add_version(
        session,
        prompt_name=prompt.name,
        content=candidate,
        actor=actor.actor,
        parent=base.version,
        origin="recommendation",
        notes=f"policy change proposed by {actor.actor}: {why}",
    )
    if added.version.id == base.id:
        raise ValidationError("the proposed policy is the one the label already uses; nothing to change")
    payload: dict[str, Any] = {
        "to_version": added.version.version,
        "candidate_created": added.created,
        "policy": candidate.effective_policy().model_dump(mode="json"),
        "token_budget": candidate.token_budget,
    }
    change = LabelChange("policy_change", prompt, label, added.version, why, evidence_model, payload)
    return open_label_change(
        session, change, actor=actor, rules=rules, apply_after=apply_after, apply_now=False, now=now
    )


def propose_experiment(
    session: Session,
    *,
    actor: Principal,
    rules: GovernanceRules,
    kind: str,
    prompt_name: str,
    payload: dict[str, Any],
    reason: str,
    evidence: Evidence | dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Proposal:
    """The seam for experiments: stores a ``start_experiment``/``stop_experiment`` request."""
    if kind not in EXPERIMENT_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(EXPERIMENT_KINDS)}, not '{kind}'")
    prompt, why = _start(session, actor=actor, prompt_name=prompt_name, reason=reason)
    evidence_model = parse_evidence(evidence)
    if actor.is_flow:
        verdict = check_automated_proposal(findings=GuardrailFindings(), evidence=evidence_model, rules=rules)
        refuse_if(verdict, actor, None)
    row = ChangeRequest(
        kind=kind,
        status="pending",
        prompt_id=prompt.id,
        payload=payload,
        evidence=evidence_model.model_dump(mode="json"),
        reason=why,
        requested_by=actor.actor,
        requester_kind=actor.kind,
        created_at=now_or(now),
        updated_at=now_or(now),
    )
    session.add(row)
    session.flush()
    record_opened(session, row)
    return Proposal(request=view_of(session, row.id), created=True)


def _candidate(
    base: PromptVersion, *, policy: SectionPolicy | dict[str, Any] | None, token_budget: int | None, where: str
) -> VersionContent:
    if policy is None and token_budget is None:
        raise ValidationError("a policy change needs a new section policy or a new token budget")
    data = dict(base.content)
    if policy is not None:
        try:
            new_policy = policy if isinstance(policy, SectionPolicy) else SectionPolicy.model_validate(policy)
        except PydanticValidationError as exc:
            raise ValidationError(f"invalid policy: {exc.errors()[0]['msg']}") from None
        data["policy"] = new_policy.model_dump(mode="json")
        data["sections"] = [s for s in data["sections"] if s["id"] not in set(new_policy.banned)]
    if token_budget is not None:
        data["token_budget"] = token_budget
    try:
        return VersionContent.model_validate(data)
    except PydanticValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValidationError(f"the policy change would make an invalid version of {where}: {detail}") from None
