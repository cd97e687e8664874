"""Rollups (hourly cells and unit-days): incremental refresh == full recompute, late outcomes,
concurrency, dimensions, histograms."""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

import core.tracking.rollups as rollups_module
from core.db.engine import transaction
from core.registry.settings import update_prompt_settings
from core.tracking.histogram import BUCKET_SQL, HIGH_ACCURACY, N_BUCKETS, histogram, latency_bucket
from core.tracking.ingest import ingest_records
from core.tracking.rollups import RefreshTuning, refresh_rollups
from tests.tracking.conftest import ACTOR, PROMPT, T0, execution, outcome

KINDS = ["EXECUTION_SUCCESS", "EXECUTION_FAILURE", "USER_CORRECTION", "QUALITY_SCORE", "USER_RATING"]


def _rollups(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT prompt_id, hour, version_id, label, experiment, arm, section_set_hash, "
                    "segment_key::text, section_ids, executions, accuracy_n, round(accuracy_sum::numeric, 9), "
                    "round(accuracy_sum_sq::numeric, 9), corrections, failures, rating_n, rating_sum, "
                    "prompt_tokens_sum, prompt_tokens_max, completion_tokens_sum, "
                    "round(latency_ms_sum::numeric, 6), latency_hist, prompt_tokens_hist, prompt_tokens_hist_high "
                    "FROM rollups_hourly ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
                )
            ).all()
        ]


def _units(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT prompt_id, day, unit_id, executions, accuracy_n, round(accuracy_sum::numeric, 9), "
                    "round(accuracy_sum_sq::numeric, 9), corrections, failures, prompt_tokens_sum "
                    "FROM rollups_unit_daily ORDER BY 1, 2, 3"
                )
            ).all()
        ]


def _snapshot(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    return _rollups(engine), _units(engine)


def _ingest(engine: Engine, records: list[dict[str, Any]]) -> None:
    with transaction(engine) as session:
        ingest_records(session, records, bulk_threshold=40)


def _full_recompute(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    refresh_rollups(engine, full=True)
    return _snapshot(engine)


def test_one_cell_holds_the_exact_sufficient_statistics(registry: Engine) -> None:
    # exec-1 and exec-3: same version (1.0.0), sections, segment (expert/en), hour 10:00 UTC
    _ingest(
        registry,
        [execution(1, latency_ms=120.0),
         execution(3, version="1.0.0", sections=["examples", "identity"], latency_ms=2.5),
         outcome(1, 1, "EXECUTION_SUCCESS"), outcome(2, 1, "USER_CORRECTION", minutes=2,
                                                      original="abcdefghij", corrected="abcdefghXY"),
         outcome(3, 3, "USER_RATING", rating=2), outcome(4, 3, "EXECUTION_FAILURE")],
    )  # fmt: skip
    refresh_rollups(registry)

    with registry.connect() as conn:
        row = conn.execute(text("SELECT * FROM rollups_hourly")).mappings().one()
    assert row["hour"] == T0 and row["label"] == "production" and row["experiment"] == ""
    assert row["segment_key"] == {"expertise": "expert", "language": "en"}  # "noise" is not a dimension
    assert row["section_ids"] == ["examples", "identity"]
    assert (row["executions"], row["accuracy_n"]) == (2, 2)  # four outcomes, two accuracies
    assert row["accuracy_sum"] == 0.8 + 0.25  # correction beats success; rating beats failure
    assert row["accuracy_sum_sq"] == 0.8**2 + 0.25**2
    assert (row["corrections"], row["failures"], row["rating_n"], row["rating_sum"]) == (1, 1, 1, 2)
    assert (row["prompt_tokens_sum"], row["prompt_tokens_max"], row["completion_tokens_sum"]) == (204, 103, 40)
    hist = [0] * N_BUCKETS
    hist[latency_bucket(120.0)] += 1
    hist[latency_bucket(2.5)] += 1
    assert row["latency_hist"] == hist and row["latency_ms_sum"] == 122.5
    assert row["prompt_tokens_hist"] == histogram([101, 103])
    assert row["prompt_tokens_hist_high"] == [0] * N_BUCKETS  # accuracies 0.8 and 0.25: none >= 0.9


def test_token_histograms_split_high_accuracy_executions(registry: Engine) -> None:
    # same cell and hour (versions 1.0.0, same sections and segment): accuracies 1.0, 0.9, 0.75, none
    runs = [(1, 120, "EXECUTION_SUCCESS", {}), (3, 950, "QUALITY_SCORE", {"score": HIGH_ACCURACY}),
            (5, 4000, "USER_RATING", {"rating": 4}), (7, 20_000, None, {})]  # fmt: skip
    records: list[dict[str, Any]] = []
    for n, tokens, kind, fields in runs:
        records.append(execution(n, prompt_tokens=tokens, version="1.0.0", occurred_at=T0.isoformat()))
        if kind:
            records.append(outcome(n, n, kind, **fields))
    _ingest(registry, records)
    refresh_rollups(registry)

    with registry.connect() as conn:
        row = conn.execute(text("SELECT * FROM rollups_hourly")).mappings().one()
    assert row["executions"] == 4 and row["prompt_tokens_max"] == 20_000
    assert row["prompt_tokens_hist"] == histogram([120, 950, 4000, 20_000])
    assert row["prompt_tokens_hist_high"] == histogram([120, 950])


def test_unit_daily_rollups_count_each_unit_per_utc_day(registry: Engine) -> None:
    late = T0.replace(hour=23, minute=30)
    _ingest(
        registry,
        [execution(1, unit_id="u-a", occurred_at=T0.isoformat()),
         execution(2, unit_id="u-a", occurred_at=late.isoformat()),
         execution(3, unit_id="u-a", occurred_at=(late + timedelta(hours=1)).isoformat()),  # next UTC day
         execution(4, unit_id="u-b", occurred_at=T0.isoformat()),
         execution(5, unit_id=None, occurred_at=T0.isoformat()),  # no unit: not counted per unit
         outcome(1, 1, "USER_CORRECTION", original="abcdefghij", corrected="abcdefghXY"),
         outcome(2, 2, "EXECUTION_FAILURE"), outcome(3, 4, "EXECUTION_SUCCESS")],
    )  # fmt: skip
    refresh_rollups(registry)

    rows = {(r[1].isoformat(), r[2]): r[3:] for r in _units(registry)}
    day, next_day = T0.date().isoformat(), (T0 + timedelta(days=1)).date().isoformat()
    assert set(rows) == {(day, "u-a"), (day, "u-b"), (next_day, "u-a")}
    # executions, accuracy n / sum / sum of squares, corrections, failures, prompt tokens
    assert rows[(day, "u-a")] == (2, 2, Decimal("0.8"), Decimal("0.64"), 1, 1, 101 + 102)
    assert rows[(day, "u-b")] == (1, 1, Decimal(1), Decimal(1), 0, 0, 104)
    assert rows[(next_day, "u-a")] == (1, 0, Decimal(0), Decimal(0), 0, 0, 103)
    with registry.connect() as conn:
        assert conn.execute(text("SELECT sum(executions) FROM rollups_hourly")).scalar_one() == 5


def test_incremental_refresh_equals_full_recompute_including_late_outcomes(registry: Engine) -> None:
    rng = random.Random(5)
    _ingest(registry, [execution(i) for i in range(40)])
    refresh_rollups(registry)
    old_hour = _rollups(registry)[0][1]

    for batch in range(4):
        base = 40 + 20 * batch
        records = [execution(i) for i in range(base, base + 20)]
        # late evidence for old executions (back to the first hour) and outcomes for not-yet-seen ones
        records += [outcome(base * 10 + j, rng.randrange(0, base + 30), rng.choice(KINDS)) for j in range(25)]
        _ingest(registry, records)
        refresh_rollups(registry)
        refresh_rollups(registry)  # a second run finds nothing to do and changes nothing

    incremental = _snapshot(registry)
    first_hour = [row for row in incremental[0] if row[1] == old_hour]
    assert sum(row[10] for row in first_hour) > 0  # late outcomes reached the oldest hour
    assert incremental == _full_recompute(registry)
    with registry.connect() as conn:
        raw = conn.execute(text("SELECT count(*), count(accuracy), sum(accuracy) FROM executions")).one()
        agg = conn.execute(text("SELECT sum(executions), sum(accuracy_n), sum(accuracy_sum) FROM rollups_hourly")).one()
        units = conn.execute(text("SELECT sum(executions), sum(accuracy_n) FROM rollups_unit_daily")).one()
    assert raw[0] == agg[0] == units[0] == 120 and raw[1] == agg[1] == units[1] > 0
    assert abs(raw[2] - agg[2]) < 1e-9


def test_rebuilding_a_prompt_whose_hours_mostly_changed_equals_a_full_recompute(registry: Engine) -> None:
    tuning = RefreshTuning(rebuild_fraction=0.25, rebuild_min_hours=1)
    rng = random.Random(8)
    _ingest(registry, [execution(i) for i in range(40)])
    refresh_rollups(registry, tuning=tuning)

    _ingest(registry, [outcome(j, rng.randrange(40), rng.choice(KINDS)) for j in range(30)])
    result = refresh_rollups(registry, tuning=tuning)

    assert result.mode == "incremental" and result.rebuilt_prompts and result.changed_executions > 0
    assert _snapshot(registry) == _full_recompute(registry)


def test_a_late_outcome_updates_only_its_own_old_hour(registry: Engine) -> None:
    _ingest(registry, [execution(i) for i in range(12)])
    refresh_rollups(registry)
    before = {row[:8]: row for row in _rollups(registry)}
    units_before = {row[:3]: row for row in _units(registry)}

    _ingest(registry, [outcome(1, 0, "USER_CORRECTION", original="aaaa", corrected="aaab")])
    result = refresh_rollups(registry)

    after = {row[:8]: row for row in _rollups(registry)}
    changed = [key for key in after if after[key] != before.get(key)]
    assert result.mode == "incremental" and result.changed_executions == 1 and not result.rebuilt_prompts
    assert len(changed) == 1 and changed[0][1] == T0  # exec-0 happened at T0
    assert after[changed[0]][10] == before[changed[0]][10] + 1
    units_after = {row[:3]: row for row in _units(registry)}
    changed_units = [key for key in units_after if units_after[key] != units_before.get(key)]
    assert changed_units == [(changed[0][0], T0.date(), "u-0")]  # exec-0's unit, that day only
    assert (after, units_after) == tuple(
        {row[:k]: row for row in rows} for rows, k in zip(_full_recompute(registry), (8, 3), strict=True)
    )


def test_concurrent_refreshes_with_a_concurrent_writer_equal_a_full_recompute(registry: Engine) -> None:
    rng = random.Random(9)
    batches = []
    for b in range(12):
        records = [execution(i) for i in range(b * 15, b * 15 + 15)]
        records += [outcome(b * 100 + j, rng.randrange(0, b * 15 + 15), rng.choice(KINDS)) for j in range(10)]
        batches.append(records)
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            for records in batches:
                _ingest(registry, records)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    def refresh() -> None:
        try:
            while not done.is_set():
                refresh_rollups(registry)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=refresh), threading.Thread(target=refresh)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    concurrent_a, concurrent_b = (threading.Thread(target=refresh_rollups, args=(registry,)) for _ in range(2))
    concurrent_a.start()
    concurrent_b.start()
    concurrent_a.join()
    concurrent_b.join()

    incremental = _snapshot(registry)
    assert sum(row[9] for row in incremental[0]) == sum(row[3] for row in incremental[1]) == 180
    assert incremental == _full_recompute(registry)


def test_changing_segment_dimensions_rebuilds_that_prompt(registry: Engine) -> None:
    _ingest(registry, [execution(i, occurred_at=(T0 + timedelta(minutes=i)).isoformat()) for i in range(6)])
    refresh_rollups(registry)
    with transaction(registry) as session:
        update_prompt_settings(session, prompt_name=PROMPT, changes={"segment_dimensions": ["noise"]}, actor=ACTOR)

    result = refresh_rollups(registry)

    assert result.rebuilt_prompts and result.mode == "incremental"
    keys = {row[7] for row in _rollups(registry)}
    assert keys == {f'{{"noise": {i}}}' for i in range(6)}


def test_a_prompt_with_broken_settings_keeps_its_dimensions_loses_nothing_and_is_reported(registry: Engine) -> None:
    _ingest(registry, [execution(i, occurred_at=(T0 + timedelta(minutes=i)).isoformat()) for i in range(4)])
    refresh_rollups(registry)
    before_keys = {row[7] for row in _rollups(registry)}
    with transaction(registry) as session:  # written behind the validators' back (an old release, a hand edit)
        session.execute(
            text("UPDATE prompts SET settings = '{\"segment_dimensions\": 42}' WHERE name = :n"), {"n": PROMPT}
        )
    _ingest(registry, [execution(i, occurred_at=(T0 + timedelta(minutes=i)).isoformat()) for i in range(4, 8)])

    result = refresh_rollups(registry)

    assert set(result.settings_errors) == {PROMPT}
    assert "segment_dimensions" in result.settings_errors[PROMPT]
    assert sum(row[9] for row in _rollups(registry)) == 8  # the new executions are counted all the same
    assert {row[7] for row in _rollups(registry)} == before_keys  # with the dimensions it was built with

    with transaction(registry) as session:  # the fix goes through the normal path and rebuilds
        update_prompt_settings(session, prompt_name=PROMPT, changes={"segment_dimensions": ["noise"]}, actor=ACTOR)
    fixed = refresh_rollups(registry)
    assert fixed.settings_errors == {}
    assert fixed.rebuilt_prompts
    assert {row[7] for row in _rollups(registry)} == {f'{{"noise": {i}}}' for i in range(8)}


def test_a_large_refresh_leaves_the_rollup_tables_vacuumed_and_analyzed(
    registry: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest(registry, [execution(i) for i in range(5)])
    small = refresh_rollups(registry)
    monkeypatch.setattr(rollups_module, "VACUUM_AFTER_ROWS", small.rows_written + 1)
    assert _maintained(registry) == {"rollups_hourly": (False, False), "rollups_unit_daily": (False, False)}

    _ingest(registry, [execution(i) for i in range(5, 10)])
    refresh_rollups(registry, full=True)  # writes more rows than the (lowered) threshold

    assert _maintained(registry) == {"rollups_hourly": (True, True), "rollups_unit_daily": (True, True)}


def _maintained(engine: Engine) -> dict[str, tuple[bool, bool]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT relname, last_vacuum IS NOT NULL, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname IN ('rollups_hourly', 'rollups_unit_daily')"
            )
        ).all()
    return {name: (vacuumed, analyzed) for name, vacuumed, analyzed in rows}


VALUES = [0.0, 0.5, 0.999, 1.0, 1.2589254117941673, 1.26, 9.99, 10.0, 99.9, 100.0, 123.4, 999.99, 1000.0,
          3162.2776601683795, 54321.0, 999_999.0, 1_000_000.0, 5e7] + [10 ** (k / 10) for k in range(61)]  # fmt: skip


def test_histogram_buckets_in_sql_match_python(engine: Engine) -> None:
    with engine.connect() as conn:
        documented = conn.execute(
            text(f"SELECT {BUCKET_SQL.format(x='x')} FROM unnest(CAST(:v AS float8[])) x"), {"v": VALUES}
        ).scalars()
        used = conn.execute(text("SELECT promptloop_log_bucket(x) FROM unnest(CAST(:v AS float8[])) x"), {"v": VALUES})
        assert list(documented) == list(used.scalars()) == [latency_bucket(v) for v in VALUES]


def test_packed_histograms_unpack_to_the_dense_counts(engine: Engine) -> None:
    rng = random.Random(2)
    values = [rng.lognormvariate(6, 3) for _ in range(3000)] + VALUES
    with engine.connect() as conn:
        unpacked = conn.execute(
            text(
                "SELECT promptloop_hist_unpack(sum(promptloop_hist_unit(promptloop_log_bucket(x)))), "
                "promptloop_hist_unpack(NULL), promptloop_hist_unpack(promptloop_hist_unit(61) * 2147483647) "
                "FROM unnest(CAST(:v AS float8[])) x"
            ),
            {"v": values},
        ).one()
        with pytest.raises(DBAPIError, match="out of range for type integer"):
            conn.execute(text("SELECT promptloop_hist_unpack(promptloop_hist_unit(0) * 2147483648)"))
    assert unpacked[0] == histogram(values) and sum(unpacked[0]) == len(values)
    assert unpacked[1] == [0] * N_BUCKETS
    assert unpacked[2] == [0] * (N_BUCKETS - 1) + [2147483647]
