"""Ingestion: validation, all-or-nothing, idempotent replay, pending outcomes, bulk == small."""

from __future__ import annotations

import logging
import random
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, func, select, text

import core.tracking.ingest as ingest_module
from core.db.engine import transaction
from core.db.models.tracking import Execution, Outcome
from core.tracking.ingest import IngestResult, IngestValidationError, ingest_records
from core.tracking.keys import section_set_hash
from core.tracking.precedence import NO_OUTCOME
from core.tracking.records import ExecutionRecord
from tests.tracking.conftest import execution, outcome, table_snapshot


def _ingest(engine: Engine, records: list[Any], **kwargs: Any) -> IngestResult:
    with transaction(engine) as session:
        return ingest_records(session, records, **kwargs)


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(Execution)).scalar_one(),
            conn.execute(select(func.count()).select_from(Outcome)).scalar_one(),
        )


def test_a_bad_record_is_named_by_index_id_and_field_paths_and_nothing_is_written(registry: Engine) -> None:
    records = [
        execution(1),
        execution(2, prompt_tokens=-5, segment={"expertise": ["nested"]}),
        outcome(1, 1, "USER_RATING", rating=9),
        execution(3, version="9.9.9"),
        execution(4, prompt="nope"),
        {"type": "outcome", "id": "out-x", "execution_id": "exec-1", "kind": "USER_CORRECTION",
         "original": "a", "occurred_at": "2026-11-20T10:00:00"},
        outcome(7, 1, "USER_CORRECTION", corrected=None),
    ]  # fmt: skip
    with pytest.raises(IngestValidationError) as caught:
        _ingest(registry, records)

    rejects = {r.position: r for r in caught.value.rejects}
    assert sorted(rejects) == [1, 2, 3, 4, 5, 6]
    assert rejects[1].client_id == "exec-2"
    assert "prompt_tokens:" in rejects[1].reason
    assert "segment.expertise" in rejects[1].reason
    assert "rating:" in rejects[2].reason
    assert "no version '9.9.9'" in rejects[3].reason
    assert "unknown prompt 'nope'" in rejects[4].reason
    assert "occurred_at: timestamp needs a time zone" in rejects[5].reason
    assert rejects[6].reason == "USER_CORRECTION needs corrected"
    message = str(caught.value)
    assert "record 1 (id 'exec-2')" in message and "nothing was written" in message
    assert _counts(registry) == (0, 0)


def test_bulk_path_validation_failure_writes_nothing_either(registry: Engine) -> None:
    records = [execution(i) for i in range(30)] + [execution(99, latency_ms="slow")]
    with pytest.raises(IngestValidationError) as caught:
        _ingest(registry, records, bulk_threshold=5)
    assert [r.position for r in caught.value.rejects] == [30]
    assert "latency_ms:" in caught.value.rejects[0].reason
    assert _counts(registry) == (0, 0)


@pytest.mark.parametrize("threshold", [10_000, 3])
def test_skip_invalid_stores_the_valid_records_and_returns_the_rejects(registry: Engine, threshold: int) -> None:
    records = [execution(1), execution(2, prompt_tokens="many"), outcome(1, 1, "EXECUTION_SUCCESS"), execution(3)]
    result = _ingest(registry, records, skip_invalid=True, bulk_threshold=threshold)

    assert (result.executions, result.outcomes, result.rejected) == (2, 1, 1)
    assert result.rejects[0].position == 1 and result.rejects[0].client_id == "exec-2"
    assert _counts(registry) == (2, 1)


@pytest.mark.parametrize("threshold", [10_000, 3])
def test_replaying_a_batch_changes_nothing(registry: Engine, threshold: int) -> None:
    records = [execution(i) for i in range(8)]
    records += [outcome(1, 1, "EXECUTION_SUCCESS"), outcome(2, 1, "USER_CORRECTION"), outcome(3, 42, "USER_RATING")]
    first = _ingest(registry, records, bulk_threshold=threshold)
    before = table_snapshot(registry)
    with registry.connect() as conn:
        xids = conn.execute(text("SELECT client_id, change_xid FROM executions ORDER BY 1")).all()

    again = _ingest(registry, records, bulk_threshold=threshold)
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    third = _ingest(registry, shuffled[:5], bulk_threshold=threshold)

    assert (first.executions, first.outcomes, first.pending) == (8, 3, 1)
    assert (again.executions, again.outcomes, again.duplicates) == (0, 0, len(records))
    assert third.accepted == 0 and third.duplicates == 5
    assert table_snapshot(registry) == before
    with registry.connect() as conn:
        assert conn.execute(text("SELECT client_id, change_xid FROM executions ORDER BY 1")).all() == xids


def test_repeats_inside_one_batch_count_as_duplicates_and_the_first_wins(registry: Engine) -> None:
    result = _ingest(registry, [execution(1), execution(1, prompt_tokens=7), execution(2)])
    assert (result.executions, result.duplicates) == (2, 1)
    with registry.connect() as conn:
        assert conn.execute(text("SELECT prompt_tokens FROM executions WHERE client_id = 'exec-1'")).scalar() == 101


@pytest.mark.parametrize("threshold", [10_000, 2])
def test_outcomes_before_their_execution_are_attached_when_it_arrives(registry: Engine, threshold: int) -> None:
    early = _ingest(
        registry,
        [outcome(1, 5, "USER_CORRECTION", original="abcd", corrected="abcf"), outcome(2, 5, "EXECUTION_SUCCESS"),
         outcome(3, 6, "EXECUTION_FAILURE")],
        bulk_threshold=threshold,
    )  # fmt: skip
    assert (early.outcomes, early.pending) == (3, 3)
    with registry.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM outcomes WHERE execution_pk IS NULL")).scalar() == 3

    # the execution arrives later, together with one more outcome placed *before* it in the batch
    later = _ingest(
        registry, [outcome(4, 5, "USER_RATING", rating=5), execution(5), execution(7)], bulk_threshold=threshold
    )

    assert (later.executions, later.outcomes, later.attached, later.pending) == (2, 1, 2, 0)
    with registry.connect() as conn:
        rows = conn.execute(
            text("SELECT o.client_id, e.client_id FROM outcomes o LEFT JOIN executions e ON e.id = o.execution_pk")
        ).all()
        summary = conn.execute(
            text("SELECT accuracy, accuracy_kind, corrected, failed, rating FROM executions WHERE client_id='exec-5'")
        ).one()
    assert dict(rows) == {"out-1": "exec-5", "out-2": "exec-5", "out-3": None, "out-4": "exec-5"}
    assert summary == (pytest.approx(0.75), "USER_CORRECTION", True, False, 5)


# chunk size 7: a call spans several chunks, some written directly, a later one falling back to the merge
# when it meets a replayed id (core.tracking.bulk), with pending outcomes and ties across chunks.
@pytest.mark.parametrize("chunk_size", [ingest_module.CHUNK_SIZE, 7])
def test_bulk_and_small_paths_leave_identical_rows(
    registry: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, chunk_size: int
) -> None:
    monkeypatch.setattr(ingest_module, "CHUNK_SIZE", chunk_size)
    rng = random.Random(11)
    kinds = ["EXECUTION_SUCCESS", "EXECUTION_FAILURE", "USER_CORRECTION", "QUALITY_SCORE", "USER_RATING"]
    records: list[dict[str, Any]] = [execution(i) for i in range(60)]
    records += [outcome(i, rng.randrange(70), rng.choice(kinds), minutes=rng.randrange(1, 3)) for i in range(90)]
    rng.shuffle(records)
    batches = [records[:50], records[50:120], records[120:], records[30:90]]  # the last one is a partial replay
    # new executions first (some awaited by pending outcomes), then a replayed tail
    batches.append([execution(i) for i in (*range(60, 66), *range(100, 110))] + records[:10])

    small = [_ingest(registry, batch, bulk_threshold=10_000) for batch in batches]
    small_rows = table_snapshot(registry)
    with transaction(registry) as session:
        session.execute(text("TRUNCATE executions, outcomes"))
    with caplog.at_level(logging.INFO, logger="core.tracking.bulk"):
        bulk = [_ingest(registry, batch, bulk_threshold=1) for batch in batches]

    assert {r.path for r in small} == {"small"} and {r.path for r in bulk} == {"bulk"}
    assert [(r.executions, r.outcomes, r.duplicates, r.attached, r.pending) for r in small] == [
        (r.executions, r.outcomes, r.duplicates, r.attached, r.pending) for r in bulk
    ]
    assert table_snapshot(registry) == small_rows
    assert any(row[2] is None for row in small_rows["outcomes"])  # some outcomes stay pending
    assert any(row[16] is not None for row in small_rows["executions"])
    assert any(r.attached for r in small)
    # the replays took the merge path (at chunk size 7, after direct chunks in the same call)
    assert sum("merging the rest" in message for message in caplog.messages) == 2


def test_bulk_executions_with_and_without_outcomes_carry_the_transaction_and_their_summary(registry: Engine) -> None:
    """On the direct path, executions without an outcome in their chunk take id, summary and change_xid
    from the columns' defaults; the others get them from Python. Both must read as one write."""
    records = [execution(i) for i in range(8)] + [
        outcome(1, 2, "USER_RATING", rating=5),
        outcome(2, 5, "EXECUTION_FAILURE"),
    ]
    with transaction(registry) as session:
        result = ingest_records(session, records, bulk_threshold=1)
        xid = session.execute(text("SELECT (pg_current_xact_id()::text)::bigint")).scalar_one()
    assert (result.path, result.executions, result.outcomes) == ("bulk", 8, 2)
    with registry.connect() as conn:
        query = "SELECT client_id, change_xid, accuracy, accuracy_kind, corrected, failed, rating FROM executions"
        rows = {r[0]: tuple(r[1:]) for r in conn.execute(text(query))}
        ids = conn.execute(text("SELECT count(DISTINCT id), min(id) > 0 FROM executions")).one()
    assert {row[0] for row in rows.values()} == {xid}
    assert rows["exec-2"][1:] == (1.0, "USER_RATING", False, False, 5)
    assert rows["exec-5"][1:] == (0.0, "EXECUTION_FAILURE", False, True, None)
    assert {rows[f"exec-{i}"][1:] for i in (0, 1, 3, 4, 6, 7)} == {NO_OUTCOME}
    assert tuple(ids) == (8, True)


def test_execution_row_keeps_the_section_set_and_resolved_ids(registry: Engine) -> None:
    _ingest(registry, [ExecutionRecord.model_validate(execution(1, sections=["tone", "identity"], label=""))])
    with registry.connect() as conn:
        row = conn.execute(
            text(
                "SELECT e.section_ids, e.section_set_hash, v.version, e.label, e.segment "
                "FROM executions e JOIN prompt_versions v ON v.id = e.version_id"
            )
        ).one()
    assert row.section_ids == ["identity", "tone"]
    assert row.section_set_hash == section_set_hash(["identity", "tone"]) == section_set_hash(["tone", "identity"])
    assert row.version == "1.0.0" and row.label is None
    assert row.segment == {"expertise": "expert", "language": "en", "noise": 1}


def test_bulk_chunks_across_one_call_attach_and_count_like_one_batch(
    registry: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "CHUNK_SIZE", 4)  # the outcome's execution comes three chunks later
    records = [outcome(1, 9, "USER_CORRECTION", original="abcd", corrected="abcf"), outcome(2, 42, "USER_RATING")]
    records += [execution(i) for i in range(12)] + [outcome(3, 2, "EXECUTION_FAILURE"), execution(1)]

    result = _ingest(registry, records, bulk_threshold=3)

    assert (result.path, result.executions, result.outcomes, result.duplicates) == ("bulk", 12, 3, 1)
    assert (result.attached, result.pending) == (0, 1)  # out-1 attached within the call; out-2 waits
    with registry.connect() as conn:
        rows = dict(conn.execute(text("SELECT client_id, accuracy FROM executions WHERE client_id IN "
                                      "('exec-9', 'exec-2')")).all())  # fmt: skip
    assert rows == {"exec-9": pytest.approx(0.75), "exec-2": 0.0}


def test_a_bad_record_in_a_later_chunk_leaves_nothing_even_if_the_caller_commits(
    registry: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "CHUNK_SIZE", 5)
    records = [execution(i) for i in range(20)] + [execution(99, prompt_tokens=-1)]
    with transaction(registry) as session:
        with pytest.raises(IngestValidationError):
            ingest_records(session, records, bulk_threshold=3)
        session.execute(text("SELECT 1"))  # the transaction is still usable, and commits
    assert _counts(registry) == (0, 0)


def test_a_database_error_in_the_worker_reaches_the_caller_and_writes_nothing(
    registry: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "CHUNK_SIZE", 5)
    records = [execution(i) for i in range(20)]
    with transaction(registry) as session:  # a server-side failure validation cannot foresee, in chunk 3
        session.execute(
            text(
                "CREATE FUNCTION planted_failure() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'planted failure'; END $$; "
                "CREATE TRIGGER planted BEFORE INSERT ON executions FOR EACH ROW "
                "WHEN (NEW.client_id = 'exec-12') EXECUTE FUNCTION planted_failure()"
            )
        )
    with transaction(registry) as session:
        with pytest.raises(psycopg.Error, match="planted failure"):
            ingest_records(session, records, bulk_threshold=3)
        session.execute(text("SELECT 1"))  # rolled back to the savepoint: the transaction goes on
    assert _counts(registry) == (0, 0)
