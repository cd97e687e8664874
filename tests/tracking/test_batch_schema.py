"""The bulk path's one-call batch schema says exactly what the record models say (core.tracking.batch_schema)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from core.db.engine import transaction
from core.tracking.batch_schema import MIRRORED_VALIDATORS, validate_batch
from core.tracking.ingest import ingest_records
from core.tracking.records import ExecutionRecord, OutcomeRecord
from tests.tracking.conftest import execution, outcome


@pytest.mark.parametrize("model", [ExecutionRecord, OutcomeRecord])
def test_every_python_validator_of_the_models_is_mirrored(model: type[Any]) -> None:
    decorators = model.__pydantic_decorators__
    defined = {*decorators.model_validators, *decorators.field_validators, *decorators.validators}
    assert defined == set(MIRRORED_VALIDATORS[model]), "mirror the new validator in core.tracking.validation"


def test_valid_records_pass_and_refused_ones_come_back_as_none() -> None:
    good = [execution(1), outcome(1, 1, "USER_RATING", rating=4)]
    bad = [
        {**execution(2), "surprise": 1},  # unknown field
        {k: v for k, v in outcome(2, 1, "USER_RATING").items() if k != "rating"},  # the kind's field missing
        {**execution(3), "prompt_tokens": -1},
        {"type": "elephant"},
    ]
    result = validate_batch([*good, *bad])
    assert [r is None for r in result] == [False, False, True, True, True, True]
    assert result[0] is not None
    assert result[0]["id"] == "exec-1"


INVALID = [
    {**execution(10), "surprise": 1},
    {**execution(11), "label": ""},  # fine: "" means no label
    {**execution(12), "arm": "B"},  # an arm needs an experiment
    {**execution(13), "sections": ["identity", "identity"]},
    {**execution(14), "occurred_at": "2026-11-20T10:00:00"},  # no time zone
    {k: v for k, v in outcome(15, 1, "USER_CORRECTION").items() if k != "corrected"},
    {**outcome(16, 1, "QUALITY_SCORE", score=0.5), "score": 1.5},
    {**outcome(17, 1, "USER_RATING", rating=3), "kind": "THUMBS_UP"},
    {"type": "outcome"},
]


def _rejects(engine: Engine, threshold: int) -> list[tuple[str, str]]:
    with transaction(engine) as session:
        result = ingest_records(session, [execution(1), *INVALID], skip_invalid=True, bulk_threshold=threshold)
        session.rollback()
    return [(r.where, r.reason) for r in result.rejects]


def test_bulk_and_small_paths_reject_the_same_records_with_the_same_reasons(registry: Engine) -> None:
    small = _rejects(registry, 10_000)
    bulk = _rejects(registry, 1)
    assert bulk == small
    assert [where for where, _ in small] == [f"record {i}" for i in (1, 3, 4, 5, 6, 7, 8, 9)]
    reasons = dict(small)
    assert "surprise" in reasons["record 1"]
    assert "corrected" in reasons["record 6"]


NUL = [
    {**execution(20), "unit_id": "u\x00"},
    {**execution(21), "sections": ["identity", "ex\x00"]},
    {**execution(22), "segment": {"expertise": "nov\x00ice"}},
    {**execution(23), "label": "prod\x00", "model": "m\x00"},
    {**outcome(24, 1, "USER_CORRECTION"), "original": "a\x00b"},
    {**outcome(25, 1, "EXECUTION_FAILURE", error="boom\x00")},
]


@pytest.mark.parametrize("threshold", [10_000, 1])
def test_nul_characters_are_rejected_by_field_and_the_rest_is_stored(registry: Engine, threshold: int) -> None:
    good = [execution(1), {**execution(2), "segment": {"note": "a literal \\u0000 is fine"}}]
    with transaction(registry) as session:
        result = ingest_records(session, [*good, *NUL], skip_invalid=True, bulk_threshold=threshold)
    reasons = {r.where: r.reason for r in result.rejects}
    assert result.accepted == 2
    assert reasons == {
        "record 2": "unit_id: contains a NUL character (\\u0000), which cannot be stored",
        "record 3": "sections: contains a NUL character (\\u0000), which cannot be stored",
        "record 4": "segment: contains a NUL character (\\u0000), which cannot be stored",
        "record 5": "label: contains a NUL character (\\u0000), which cannot be stored; "
        "model: contains a NUL character (\\u0000), which cannot be stored",
        "record 6": "original: contains a NUL character (\\u0000), which cannot be stored",
        "record 7": "error: contains a NUL character (\\u0000), which cannot be stored",
    }
