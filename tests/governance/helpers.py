"""Shared setup for governance tests: people with every role, a prompt with versions and a label."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from core.db.engine import transaction
from core.db.models.audit import AuditEvent
from core.governance.roles import Principal, flow_principal
from core.governance.rules import GovernanceRules
from core.governance.users import add_user, principal_for
from core.registry.labels import move_label
from core.registry.prompts import create_prompt
from core.registry.spec import parse_spec
from core.registry.versions import add_version
from tests.registry.factories import content, spec_dict, with_section_text

RULES = GovernanceRules()
PROMPT = "thought_to_intent"
ADMIN, OP1, OP2, OP3, VIEWER = (
    "admin@x.io",
    "op1@x.io",
    "op2@x.io",
    "op3@x.io",
    "viewer@x.io",
)
FLOW = flow_principal("policy_update")
STRONG = {"summary": "clear win", "stats": {"min_group_size": 500, "confidence": 0.97, "method": "welch"}}


def make_people(engine: Engine) -> dict[str, Principal]:
    with transaction(engine) as s:
        add_user(s, actor=None, email=ADMIN, role="admin")
        admin = principal_for(s, email=ADMIN)
        for email, role in ((OP1, "operator"), (OP2, "operator"), (OP3, "operator"), (VIEWER, "viewer")):
            add_user(s, actor=admin, email=email, role=role)
        people = {e: principal_for(s, email=e) for e in (ADMIN, OP1, OP2, OP3, VIEWER)}
    people["flow"] = FLOW
    return people


def make_prompt(engine: Engine) -> dict[str, str]:
    """Versions: 1.0.0 (production), 1.0.1 (text change), 1.1.0 (token budget only)."""
    with transaction(engine) as s:
        create_prompt(s, name=PROMPT, actor=ADMIN)
        v1 = add_version(s, prompt_name=PROMPT, content=content(), actor=ADMIN).version.version
        v2 = add_version(
            s, prompt_name=PROMPT, content=with_section_text("task_context", "Be formal."), actor=ADMIN
        ).version.version
        v3 = add_version(s, prompt_name=PROMPT, content=content(token_budget=800), actor=ADMIN).version.version
        move_label(s, prompt_name=PROMPT, label="production", version=v1, actor=ADMIN, reason="launch")
    return {"v1": v1, "v2": v2, "v3": v3}


def without_guardrail(**overrides: Any) -> Any:
    data = spec_dict(**overrides)
    data["sections"] = [s for s in data["sections"] if s.get("kind") != "guardrail"]
    return parse_spec(data).content()


def audit_actions(engine: Engine, request_id: int) -> list[tuple[str, str]]:
    with transaction(engine) as s:
        rows = s.execute(
            select(AuditEvent.action, AuditEvent.actor)
            .where(AuditEvent.entity_type == "change_request", AuditEvent.entity_id == str(request_id))
            .order_by(AuditEvent.id)
        ).all()
    return [(action, actor) for action, actor in rows]


RULES_ONE_PERSON = GovernanceRules(two_person_rule=False)
