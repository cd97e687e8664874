"""The post-apply watch compares a promoted version with the one it replaced, sequentially."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine

from core.db.engine import transaction
from core.governance.watch import recent_moves, watch
from core.registry.labels import move_label, rollback_label
from core.registry.prompts import create_prompt
from core.registry.settings import update_prompt_settings
from core.registry.spec import parse_spec
from core.registry.versions import add_version
from core.tracking.ingest import ingest_records
from core.tracking.rollups import refresh_rollups

START = datetime(2026, 10, 1, tzinfo=UTC)
MOVE = START + timedelta(days=5, hours=10, minutes=30)
NOW = START + timedelta(days=10)


def _spec(text: str) -> Any:
    return parse_spec({"sections": [{"id": "identity_role", "text": text}]}).content()


def _traffic(
    prompt: str, rng: np.random.Generator, *, drop: float, slow: float = 1.0, fail: float = 0.0
) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for i in range(4000):
        at = START + timedelta(minutes=int(rng.integers(0, 10 * 24 * 60)))
        after = at >= MOVE
        accuracy = float(np.clip(rng.normal(0.85 - (drop if after else 0.0), 0.1), 0, 1))
        failed = after and rng.random() < fail
        eid = f"{prompt}-{i}"
        records.append({
            "type": "execution", "id": eid, "prompt": prompt, "version": "1.0.1" if after else "1.0.0",
            "label": "production", "prompt_tokens": 500, "occurred_at": at.isoformat(),
            "latency_ms": float(rng.lognormal(6.5, 0.3)) * (slow if after else 1.0),
        })  # fmt: skip
        outcome = {"type": "outcome", "id": f"{eid}-o", "execution_id": eid, "occurred_at": at.isoformat()}
        if failed:
            records.append(outcome | {"kind": "EXECUTION_FAILURE", "error": "boom", "accuracy": accuracy})
        else:
            records.append(outcome | {"kind": "QUALITY_SCORE", "score": accuracy})
    return records


@pytest.fixture
def promoted(engine: Engine) -> None:
    rng = np.random.default_rng(11)
    records: list[dict[str, Any]] = []
    for prompt, kwargs in {
        "regressed": {"drop": 0.06},
        "unchanged": {"drop": 0.0},
        "slower": {"drop": 0.0, "slow": 1.6},
        "failing": {"drop": 0.0, "fail": 0.05},
        "rolled_back": {"drop": 0.06},
    }.items():
        with transaction(engine) as s:
            create_prompt(s, name=prompt, actor="t")
            add_version(s, prompt_name=prompt, content=_spec("v1"), actor="t", created_at=START)
            add_version(s, prompt_name=prompt, content=_spec("v2"), actor="t", created_at=START)
            move_label(s, prompt_name=prompt, label="production", version="1.0.0", actor="t", reason="launch",
                       moved_at=START)  # fmt: skip
            move_label(s, prompt_name=prompt, label="production", version="1.0.1", actor="t", reason="v2",
                       moved_at=MOVE)  # fmt: skip
        records += _traffic(prompt, rng, **kwargs)
    with transaction(engine) as s:
        rollback_label(s, prompt_name="rolled_back", label="production", actor="t", reason="already fixed")
        ingest_records(s, records)
    refresh_rollups(engine)


def test_watch_flags_each_kind_of_regression_and_only_those(engine: Engine, promoted: None) -> None:
    with transaction(engine) as s:
        results = {r.move.prompt: r for r in watch(s, now=NOW, window_days=7, horizon=4000)}
    assert set(results) == {"regressed", "unchanged", "slower", "failing"}  # the rolled-back one is not watched
    assert results["regressed"].regressions == ("accuracy",)
    assert (
        results["regressed"].comparison.accuracy.interval.lower
        < -0.06
        < results["regressed"].comparison.accuracy.interval.upper
    )
    assert results["unchanged"].regressions == ()
    assert results["slower"].regressions == ("slow_share",)
    assert results["failing"].regressions == ("failure_rate",)
    move = results["regressed"].move
    assert (move.from_version, move.to_version, move.label) == ("1.0.0", "1.0.1", "production")


def test_evidence_is_ready_for_an_automated_rollback(engine: Engine, promoted: None) -> None:
    from core.governance.evidence import parse_evidence

    with transaction(engine) as s:
        (result,) = [r for r in watch(s, now=NOW, window_days=7, horizon=4000) if r.move.prompt == "regressed"]
    evidence = parse_evidence(result.evidence())
    assert evidence.stats is not None
    assert evidence.stats.confidence > 0.95
    assert evidence.stats.min_group_size > 1000
    assert {f.name for f in evidence.figures} == {
        "accuracy (new − old)",
        "failure_rate (new − old)",
        "slow_share (new − old)",
    }
    assert "not randomized" in evidence.summary


def test_moves_outside_the_window_are_not_watched(engine: Engine, promoted: None) -> None:
    with transaction(engine) as s:
        assert watch(s, now=NOW + timedelta(days=30), window_days=7) == []


def test_each_prompt_is_watched_on_its_own_regression_labels(engine: Engine, promoted: None) -> None:
    with transaction(engine) as s:
        for prompt in ("regressed", "unchanged"):  # a canary promotion on each
            for version, at in (("1.0.0", START), ("1.0.1", MOVE)):
                move_label(s, prompt_name=prompt, label="canary", version=version, actor="t", reason="try",
                           moved_at=at)  # fmt: skip
        update_prompt_settings(
            s, prompt_name="regressed", changes={"insights": {"regression_labels": ["canary"]}}, actor="t"
        )
    with transaction(engine) as s:
        watched = {(m.prompt, m.label) for m in recent_moves(s, now=NOW, window=timedelta(days=7))}
        explicit = {(m.prompt, m.label) for m in recent_moves(s, now=NOW, window=timedelta(days=7), labels=("canary",))}
    assert ("regressed", "canary") in watched and ("regressed", "production") not in watched
    assert ("unchanged", "production") in watched and ("unchanged", "canary") not in watched
    assert explicit == {("regressed", "canary"), ("unchanged", "canary")}
