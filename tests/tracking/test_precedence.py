"""The effective-accuracy precedence rule, end to end through ingestion."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from core.db.engine import transaction
from core.tracking.ingest import ingest_records
from core.tracking.precedence import correction_similarity
from tests.tracking.conftest import execution, outcome


def _effective(engine: Engine, outcomes: list[dict[str, Any]], *, one_by_one: bool = False) -> tuple[Any, ...]:
    batches = [[o] for o in outcomes] if one_by_one else [outcomes]
    with transaction(engine) as session:
        ingest_records(session, [execution(1)])
    for batch in batches:
        with transaction(engine) as session:
            ingest_records(session, batch)
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT accuracy, accuracy_kind, corrected, failed, rating "
                    "FROM executions WHERE client_id = 'exec-1'"
                )
            ).one()
        )


CORRECTION = {"original": "book a table for two", "corrected": "book a table for four"}


@pytest.mark.parametrize("one_by_one", [False, True])
def test_a_correction_overrides_the_optimistic_success_whatever_the_order(registry: Engine, one_by_one: bool) -> None:
    records = [outcome(2, 1, "USER_CORRECTION", minutes=1, **CORRECTION), outcome(1, 1, "EXECUTION_SUCCESS", minutes=5)]
    accuracy, kind, corrected, failed, rating = _effective(registry, records, one_by_one=one_by_one)
    assert kind == "USER_CORRECTION" and corrected and not failed and rating is None
    assert accuracy == pytest.approx(correction_similarity(CORRECTION["original"], CORRECTION["corrected"]))
    assert 0.8 < accuracy < 1


def test_ties_go_to_the_latest_outcome(registry: Engine) -> None:
    records = [
        outcome(1, 1, "QUALITY_SCORE", minutes=9, score=0.3),
        outcome(2, 1, "QUALITY_SCORE", minutes=2, score=0.9),
        outcome(3, 1, "EXECUTION_SUCCESS", minutes=20),
    ]
    assert _effective(registry, records, one_by_one=True)[:2] == (0.3, "QUALITY_SCORE")


def test_same_time_ties_break_on_the_outcome_id_not_on_arrival(registry: Engine) -> None:
    records = [
        outcome(9, 1, "QUALITY_SCORE", minutes=3, score=0.2),
        outcome(1, 1, "QUALITY_SCORE", minutes=3, score=0.7),
    ]
    assert _effective(registry, records)[0] == 0.2  # 'out-9' > 'out-1'


def test_rating_outranks_score_and_a_later_failure_replaces_success(registry: Engine) -> None:
    records = [
        outcome(1, 1, "EXECUTION_SUCCESS", minutes=1),
        outcome(2, 1, "EXECUTION_FAILURE", minutes=2),
        outcome(3, 1, "QUALITY_SCORE", minutes=9, score=0.9),
        outcome(4, 1, "USER_RATING", minutes=3, rating=2),
        outcome(5, 1, "USER_RATING", minutes=4, rating=4),
    ]
    assert _effective(registry, records) == (0.75, "USER_RATING", False, True, 4)


def test_call_time_status_latest_wins_and_given_accuracy_is_used(registry: Engine) -> None:
    records = [
        outcome(1, 1, "EXECUTION_SUCCESS", minutes=1),
        outcome(2, 1, "EXECUTION_FAILURE", minutes=2, accuracy=0.4),
    ]
    assert _effective(registry, records)[:4] == (0.4, "EXECUTION_FAILURE", False, True)


def test_similarity_is_rapidfuzz_normalised_indel() -> None:
    assert correction_similarity("abc", "abc") == 1.0
    assert correction_similarity("", "") == 1.0
    assert correction_similarity("abcd", "wxyz") == 0.0
    assert correction_similarity("abcd", "abce") == 0.75
