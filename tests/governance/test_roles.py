"""Role enforcement inside core: every governed action × every role, whatever the calling shell.

One database holds the scenario; each case runs in a transaction that is rolled back afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.db.engine import make_engine, transaction
from core.db.models.audit import AuditEvent
from core.errors import PermissionDeniedError
from core.governance.autoapply import set_auto_apply
from core.governance.changes import propose_policy_change, propose_promotion, propose_rollback
from core.governance.decisions import add_comment, apply_change_request, apply_due, approve, reject
from core.governance.roles import Action, Principal, can
from core.governance.users import add_user, set_active, set_password, set_role
from core.notify.channels import add_channel
from core.registry.labels import move_label
from core.registry.versions import add_version
from tests.conftest import _scratch_database
from tests.governance.helpers import (
    ADMIN,
    OP2,
    OP3,
    PROMPT,
    RULES,
    STRONG,
    VIEWER,
    make_people,
    make_prompt,
    without_guardrail,
)
from tests.governance.helpers import OP1 as OPERATOR

NOW = datetime.now(UTC)


@dataclass(frozen=True)
class Scenario:
    engine: Engine
    people: dict[str, Principal]
    versions: dict[str, str]
    pending: int  # staging → v2, requested by OP3
    waiting: int  # canary → v3, approved by OP2, due in an hour
    weakening: int  # beta → a version without the guardrail section, requested by OP3


@pytest.fixture(scope="module")
def scenario(pg_server_url: str, template_database: str) -> Iterator[Scenario]:
    databases = _scratch_database(pg_server_url, template=template_database)
    engine = make_engine(next(databases))
    people = make_people(engine)
    versions = make_prompt(engine)
    with transaction(engine) as s:
        versions["v4"] = add_version(s, prompt_name=PROMPT, content=without_guardrail(), actor=ADMIN).version.version
        move_label(s, prompt_name=PROMPT, label="production", version=versions["v2"], actor=ADMIN, reason="go")
        for label in ("staging", "canary", "beta"):
            move_label(s, prompt_name=PROMPT, label=label, version=versions["v1"], actor=ADMIN, reason="seed")

        def request(label: str, version: str, **kw: Any) -> int:
            return propose_promotion(
                s, actor=people[OP3], rules=RULES, prompt_name=PROMPT, label=label, version=version, reason="r", **kw
            ).request.id

        pending = request("staging", versions["v2"])
        waiting = request("canary", versions["v3"], apply_after=NOW + timedelta(hours=1))
        approve(s, actor=people[OP2], rules=RULES, request_id=waiting, now=NOW)
        weakening = request("beta", versions["v4"])
    try:
        yield Scenario(engine, people, versions, pending, waiting, weakening)
    finally:
        engine.dispose()
        databases.close()


Act = Callable[[Session, Principal, Scenario], object]
LATER = NOW + timedelta(hours=2)

ACTIONS: dict[str, tuple[Act, set[str]]] = {
    "propose_promotion": (
        lambda s, p, c: propose_promotion(
            s,
            actor=p,
            rules=RULES,
            prompt_name=PROMPT,
            label="production",
            version=c.versions["v3"],
            reason="r",
            evidence=STRONG,
        ),
        {"operator", "admin", "flow"},
    ),
    "propose_rollback": (
        lambda s, p, c: propose_rollback(
            s, actor=p, rules=RULES, prompt_name=PROMPT, label="production", reason="r", evidence=STRONG
        ),
        {"operator", "admin", "flow"},
    ),
    "propose_policy_change": (
        lambda s, p, c: propose_policy_change(
            s,
            actor=p,
            rules=RULES,
            prompt_name=PROMPT,
            label="production",
            reason="r",
            token_budget=700,
            evidence=STRONG,
        ),
        {"operator", "admin", "flow"},
    ),
    "approve": (lambda s, p, c: approve(s, actor=p, rules=RULES, request_id=c.pending), {"operator", "admin"}),
    "reject": (lambda s, p, c: reject(s, actor=p, request_id=c.pending, comment="no"), {"operator", "admin"}),
    "comment": (
        lambda s, p, c: add_comment(s, actor=p, request_id=c.pending, text="hm"),
        {"operator", "admin", "flow"},
    ),
    "apply_change_request": (
        lambda s, p, c: apply_change_request(s, actor=p, request_id=c.waiting, now=LATER),
        {"operator", "admin", "flow"},
    ),
    "apply_due": (lambda s, p, c: apply_due(s, actor=p, now=LATER), {"operator", "admin", "flow"}),
    "rollback_apply_now": (
        lambda s, p, c: propose_rollback(
            s, actor=p, rules=RULES, prompt_name=PROMPT, label="production", reason="outage", apply_now=True
        ),
        {"admin"},
    ),
    "approve_guardrail_removal": (
        lambda s, p, c: approve(s, actor=p, rules=RULES, request_id=c.weakening, comment="legal signed off"),
        {"admin"},
    ),
    "add_user": (lambda s, p, c: add_user(s, actor=p, email="new@x.io", role="viewer"), {"admin"}),
    "set_role": (lambda s, p, c: set_role(s, actor=p, email=VIEWER, role="operator"), {"admin"}),
    "set_active": (lambda s, p, c: set_active(s, actor=p, email=OP3, active=False), {"admin"}),
    "set_password_of_another": (
        lambda s, p, c: set_password(s, actor=p, email=OP3, password="long enough pw"),
        {"admin"},
    ),
    "set_auto_apply": (
        lambda s, p, c: set_auto_apply(s, actor=p, prompt_name=PROMPT, risk_classes=["rollback"], reason="r"),
        {"admin"},
    ),
    "add_channel": (
        lambda s, p, c: add_channel(s, actor=p, name="ops", kind="webhook", url="https://hooks.example.com/x"),
        {"admin"},
    ),
}
ROLES = {"viewer": VIEWER, "operator": OPERATOR, "admin": ADMIN, "flow": "flow"}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_checks_the_role_in_core(scenario: Scenario, action: str, role: str) -> None:
    act, allowed = ACTIONS[action]
    principal = scenario.people[ROLES[role]]
    with Session(scenario.engine) as s:
        s.begin()
        try:
            events_before = s.scalar(select(func.count()).select_from(AuditEvent))
            if role in allowed:
                act(s, principal, scenario)
                assert s.scalar(select(func.count()).select_from(AuditEvent)) > events_before
            else:
                with pytest.raises(PermissionDeniedError) as denied:
                    act(s, principal, scenario)
                message = str(denied.value)
                assert principal.email in message
                assert ("automation" in message) if role == "flow" else ("role" in message)
        finally:
            s.rollback()


@pytest.mark.parametrize("role", ["viewer", "operator", "admin"])
def test_can_matches_the_minimum_roles(role: str) -> None:
    principal = Principal(email=f"{role}@x.io", role=role)  # type: ignore[arg-type]
    assert can(principal, Action.READ)
    assert can(principal, Action.APPROVE) == (role != "viewer")
    assert can(principal, Action.MANAGE_USERS) == (role == "admin")
