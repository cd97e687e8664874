"""Seed data for the governance pages: people of every role, a prompt with three versions, requests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from core.db.engine import transaction
from core.governance.changes import propose_promotion
from core.governance.queries import ChangeRequestView, get_change_request
from core.governance.rules import GovernanceRules
from core.governance.users import principal_for
from core.registry.labels import current_labels
from core.registry.prompts import get_prompt
from tests.console.signin import ensure_user
from tests.governance.helpers import PROMPT, make_prompt

ALICE = "alice@console.test"  # operator who proposes
BOB = "bob@console.test"  # operator who approves
FIGURES: dict[str, Any] = {
    "summary": "Formal context raised accuracy by 3 points",
    "figures": [
        {"name": "accuracy", "estimate": 0.031, "lower": 0.012, "upper": 0.05, "level": 0.95, "n": 2400},
    ],
    "stats": {"min_group_size": 1150, "confidence": 0.97, "method": "welch, BH q-value"},
    "links": {"insight_ids": [12]},
}


def seed(engine: Engine) -> dict[str, str]:
    """admin, viewer, alice and bob; ``thought_to_intent`` 1.0.0 (production), 1.0.1, 1.1.0."""
    ensure_user(engine, "admin")
    ensure_user(engine, "viewer")
    ensure_user(engine, ALICE, role="operator")
    ensure_user(engine, BOB, role="operator")
    return make_prompt(engine)


def open_promotion(engine: Engine, *, by: str = ALICE, version: str = "1.0.1", evidence: Any = None) -> int:
    with transaction(engine) as s:
        proposal = propose_promotion(
            s,
            actor=principal_for(s, email=by),
            rules=GovernanceRules(),
            prompt_name=PROMPT,
            label="production",
            version=version,
            reason="formal wording tested better",
            evidence=FIGURES if evidence is None else evidence,
        )
    return proposal.request.id


def request(engine: Engine, request_id: int) -> ChangeRequestView:
    with transaction(engine) as s:
        return get_change_request(s, request_id=request_id).request


def production(engine: Engine) -> str:
    with transaction(engine) as s:
        return current_labels(s, prompt=get_prompt(s, name=PROMPT))["production"]
