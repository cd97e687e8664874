"""Per-prompt auto-apply policies: off unless an admin enables low-risk classes for a prompt.

Stored in their own table (not in the prompt's settings JSON) so that only :func:`set_auto_apply`,
which checks for an admin, can change them; the database also refuses any class outside
``rollback`` and ``token_budget``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from core.db.models.governance import AutoApplyPolicy
from core.errors import ValidationError
from core.governance.audit import record_event
from core.governance.guardrails import LOW_RISK_CLASSES
from core.governance.roles import Action, Principal, require
from core.registry.prompts import get_prompt


@dataclass(frozen=True)
class AutoApplyView:
    prompt: str
    risk_classes: tuple[str, ...]
    enabled_by: str
    reason: str
    updated_at: datetime


def auto_apply_classes(session: Session, *, prompt_id: int) -> tuple[str, ...]:
    row = session.get(AutoApplyPolicy, prompt_id)
    return tuple(row.risk_classes) if row is not None else ()


def get_auto_apply(session: Session, *, prompt_name: str) -> AutoApplyView | None:
    prompt = get_prompt(session, name=prompt_name)
    row = session.get(AutoApplyPolicy, prompt.id)
    if row is None:
        return None
    return AutoApplyView(prompt.name, tuple(row.risk_classes), row.enabled_by, row.reason, row.updated_at)


def set_auto_apply(
    session: Session, *, actor: Principal, prompt_name: str, risk_classes: Iterable[str], reason: str
) -> AutoApplyView | None:
    """Enable auto-apply for these low-risk classes of ``prompt_name`` (empty: turn it off). Admins only."""
    require(actor, Action.MANAGE_SETTINGS)
    classes = sorted(set(risk_classes))
    unknown = sorted(set(classes) - set(LOW_RISK_CLASSES))
    if unknown:
        raise ValidationError(
            f"only low-risk classes may be auto-applied ({', '.join(LOW_RISK_CLASSES)}), not {', '.join(unknown)}"
        )
    if not reason.strip():
        raise ValidationError("changing an auto-apply policy needs a reason")
    prompt = get_prompt(session, name=prompt_name, for_update=True)
    row = session.get(AutoApplyPolicy, prompt.id, with_for_update=True)
    before = list(row.risk_classes) if row is not None else []
    if not classes:
        if row is not None:
            session.delete(row)
        view = None
    else:
        if row is None:
            row = AutoApplyPolicy(prompt_id=prompt.id, risk_classes=classes, enabled_by=actor.actor, reason=reason)
            session.add(row)
        row.risk_classes, row.enabled_by, row.reason = classes, actor.actor, reason.strip()
        row.updated_at = datetime.now(UTC)
        session.flush()
        view = AutoApplyView(prompt.name, tuple(classes), actor.actor, row.reason, row.updated_at)
    session.flush()
    record_event(
        session,
        actor=actor.actor,
        action="governance.auto_apply_changed",
        entity_type="prompt",
        entity_id=prompt.id,
        before={"risk_classes": before},
        after={"risk_classes": classes, "reason": reason.strip()},
    )
    return view
