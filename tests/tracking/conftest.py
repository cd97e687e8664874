"""Fixtures for tracking tests: a registered prompt with two versions and record builders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from core.db.engine import transaction
from core.registry.prompts import create_prompt
from core.registry.settings import update_prompt_settings
from core.registry.spec import VersionContent
from core.registry.versions import add_version

ACTOR = "tester@example.com"
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
PROMPT = "intent"


def _content(extra: str) -> VersionContent:
    return VersionContent.model_validate(
        {
            "sections": [
                {"id": "identity", "kind": "required", "text": f"You are an assistant {extra}."},
                {"id": "examples", "kind": "optional", "text": "Example: a -> b."},
                {"id": "tone", "kind": "optional", "text": "Be brief."},
            ]
        }
    )


@pytest.fixture
def registry(engine: Engine) -> Engine:
    """``intent`` with versions 1.0.0 and 1.1.0, segmented by expertise and language."""
    with transaction(engine) as session:
        create_prompt(session, name=PROMPT, actor=ACTOR)
        add_version(session, prompt_name=PROMPT, content=_content("v1"), actor=ACTOR)
        add_version(session, prompt_name=PROMPT, content=_content("v2"), actor=ACTOR, bump="minor")
        update_prompt_settings(
            session, prompt_name=PROMPT, changes={"segment_dimensions": ["expertise", "language"]}, actor=ACTOR
        )
    return engine


def execution(n: int, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "execution",
        "id": f"exec-{n}",
        "prompt": PROMPT,
        "version": "1.0.0" if n % 3 else "1.1.0",
        "label": "production",
        "sections": ["identity", "examples"] if n % 2 else ["identity"],
        "prompt_tokens": 100 + n,
        "completion_tokens": 20,
        "latency_ms": 50.0 * (1 + n % 7),
        "model": "sim",
        "unit_id": f"u-{n % 5}",
        "segment": {"expertise": ["novice", "expert"][n % 2], "language": "en", "noise": n},
        "occurred_at": (T0 + timedelta(minutes=17 * n)).isoformat(),
    }
    record.update(overrides)
    return record


def outcome(n: int, execution_n: int, kind: str, minutes: int = 1, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "outcome",
        "id": f"out-{n}",
        "execution_id": f"exec-{execution_n}",
        "kind": kind,
        "occurred_at": (T0 + timedelta(minutes=17 * execution_n + minutes)).isoformat(),
    }
    defaults = {
        "EXECUTION_FAILURE": {"error": "timeout"},
        "USER_CORRECTION": {"original": "book a table for two", "corrected": "book a table for four"},
        "QUALITY_SCORE": {"score": 0.6},
        "USER_RATING": {"rating": 4},
    }
    record.update(defaults.get(kind, {}))
    record.update(fields)
    return record


def table_snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Everything ingestion writes, keyed by client ids (not surrogate ids), for equality checks."""
    with engine.connect() as conn:
        executions = conn.execute(
            text(
                "SELECT client_id, prompt_id, version_id, label, experiment, arm, section_ids, section_set_hash, "
                "prompt_tokens, completion_tokens, latency_ms, model, unit_id, session_id, segment, occurred_at, "
                "accuracy, accuracy_kind, corrected, failed, rating FROM executions ORDER BY client_id"
            )
        ).all()
        outcomes = conn.execute(
            text(
                "SELECT o.client_id, o.execution_client_id, e.client_id, o.kind, o.accuracy, o.accuracy_given, "
                "o.error, o.original, o.corrected, o.score, o.rating, o.occurred_at "
                "FROM outcomes o LEFT JOIN executions e ON e.id = o.execution_pk ORDER BY o.client_id"
            )
        ).all()
    return {"executions": [tuple(r) for r in executions], "outcomes": [tuple(r) for r in outcomes]}
