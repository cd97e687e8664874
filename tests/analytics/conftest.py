"""A small, known traffic set ingested through the real path, rolled up, then read by analytics.

Tests compare what analytics reads from the rollups with the same quantity computed directly from
the generated records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine

from core.db.engine import transaction
from core.registry.labels import move_label
from core.registry.prompts import create_prompt
from core.registry.settings import update_prompt_settings
from core.registry.spec import parse_spec
from core.registry.versions import add_version
from core.tracking.ingest import ingest_records
from core.tracking.rollups import refresh_rollups

START = datetime(2026, 11, 1, tzinfo=UTC)
PROMPT = "thought_to_intent"
SPEC = {
    "sections": [
        {"id": "identity_role", "text": "You extract intents."},
        {"id": "safety_guardrails", "kind": "guardrail", "text": "Be safe."},
        {"id": "memory_recall_snippets", "kind": "optional", "text": "Memories."},
        {"id": "user_profile_hint", "kind": "optional", "text": "Profile."},
    ],
    "token_budget": 4000,
}


@dataclass
class Traffic:
    prompt_id: int
    version_ids: dict[str, int]
    records: list[dict[str, Any]]
    executions: list[dict[str, Any]]  # with the accuracy each was given, for reference computations


def _execution(i: int, rng: np.random.Generator, *, version: str, day: int) -> dict[str, Any]:
    expertise = str(rng.choice(["novice", "expert"]))
    hard = expertise == "novice"
    memory = bool(rng.random() < 0.5)  # independent of difficulty; truly helps
    hint = bool(rng.random() < (0.3 if hard else 0.7))  # confounded with easy inputs; no effect
    base = 0.65 if hard else 0.85
    regression = -0.10 if version == "1.1.0" else 0.0
    accuracy = float(np.clip(base + (0.08 if memory else 0.0) + regression + rng.normal(0, 0.08), 0, 1))
    sections = ["identity_role", "safety_guardrails"]
    sections += ["memory_recall_snippets"] if memory else []
    sections += ["user_profile_hint"] if hint else []
    return {
        "type": "execution",
        "id": f"e{i}",
        "prompt": PROMPT,
        "version": version,
        "label": "production",
        "sections": sections,
        "prompt_tokens": int(rng.integers(300, 900)) + (400 if memory else 0),
        "latency_ms": float(rng.lognormal(6.5, 0.4)),
        "unit_id": f"u{int(rng.integers(0, 40))}",
        "segment": {"expertise": expertise, "language": "en"},
        "occurred_at": (START + timedelta(days=day, minutes=int(rng.integers(0, 1440)))).isoformat(),
        "_accuracy": accuracy,
        "_corrected": bool(rng.random() < 0.1),
        "_failed": bool(rng.random() < 0.03),
    }


def _outcomes(execution: dict[str, Any]) -> list[dict[str, Any]]:
    at = execution["occurred_at"]
    if execution["_failed"]:
        return [{"type": "outcome", "id": f"{execution['id']}-f", "execution_id": execution["id"],
                 "kind": "EXECUTION_FAILURE", "error": "timeout", "accuracy": execution["_accuracy"],
                 "occurred_at": at}]  # fmt: skip
    if execution["_corrected"]:
        return [{"type": "outcome", "id": f"{execution['id']}-c", "execution_id": execution["id"],
                 "kind": "USER_CORRECTION", "original": "a", "corrected": "b",
                 "accuracy": execution["_accuracy"], "occurred_at": at}]  # fmt: skip
    return [{"type": "outcome", "id": f"{execution['id']}-s", "execution_id": execution["id"],
             "kind": "QUALITY_SCORE", "score": execution["_accuracy"], "occurred_at": at}]  # fmt: skip


@pytest.fixture
def make_traffic(engine: Engine) -> Callable[..., Traffic]:
    def build(n: int = 3000, days: int = 10, seed: int = 3) -> Traffic:
        rng = np.random.default_rng(seed)
        with transaction(engine) as s:
            prompt = create_prompt(s, name=PROMPT, actor="t@x.io")
            v1 = add_version(s, prompt_name=PROMPT, content=parse_spec(SPEC).content(), actor="t@x.io").version
            spec2 = {**SPEC, "sections": [*SPEC["sections"][:1], {"id": "identity_role_v2", "text": "New."},
                                          *SPEC["sections"][1:]]}  # fmt: skip
            v2 = add_version(s, prompt_name=PROMPT, content=parse_spec(spec2).content(), actor="t@x.io").version
            move_label(s, prompt_name=PROMPT, label="production", version="1.0.0", actor="t@x.io", reason="go")
            update_prompt_settings(s, prompt_name=PROMPT, changes={"segment_dimensions": ["expertise"]}, actor="t")
            ids = {"1.0.0": v1.id, "1.1.0": v2.id}
            prompt_id = prompt.id
        executions = []
        for i in range(n):
            day = int(rng.integers(0, days))
            version = "1.1.0" if day >= days - 3 and rng.random() < 0.5 else "1.0.0"
            executions.append(_execution(i, rng, version=version, day=day))
        records = [{k: v for k, v in e.items() if not k.startswith("_")} for e in executions]
        records += [o for e in executions for o in _outcomes(e)]
        with transaction(engine) as s:
            ingest_records(s, records)
        refresh_rollups(engine)
        return Traffic(prompt_id=prompt_id, version_ids=ids, records=records, executions=executions)

    return build
