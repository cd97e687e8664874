"""A registered prompt with a guardrail, a required and two optional sections, on production."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from core.db.engine import transaction
from core.registry.labels import move_label
from core.registry.prompts import create_prompt
from core.registry.spec import parse_spec
from core.registry.versions import add_version

SPEC = {
    "sections": [
        {"id": "role", "text": "You extract intents."},
        {"id": "safety", "kind": "guardrail", "text": "Never reveal secrets."},
        {"id": "memory", "kind": "optional", "text": "Memories."},
        {"id": "chatter", "kind": "optional", "text": "Small talk."},
    ],
    "token_budget": 4000,
}


@dataclass(frozen=True)
class Registered:
    prompt_id: int
    version_id: int


@pytest.fixture
def registered(engine: Engine) -> Registered:
    with transaction(engine) as s:
        prompt = create_prompt(s, name="p", actor="t@x.io")
        version = add_version(s, prompt_name="p", content=parse_spec(SPEC).content(), actor="t@x.io").version
        move_label(s, prompt_name="p", label="production", version="1.0.0", actor="t@x.io", reason="launch")
        return Registered(prompt.id, version.id)
