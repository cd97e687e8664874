"""Rollups: sufficient statistics per cell and UTC hour, and per unit and UTC day, refreshed incrementally.

``rollups_hourly`` — a *cell* is (prompt, version, label, experiment, arm, section set, segment
key); the segment key is the canonical JSON (jsonb) of the execution's values for the prompt's
configured ``segment_dimensions`` (a missing value is ``null``). Per cell and hour: executions,
n/Σ/Σ² of effective accuracy (executions that have one), corrections and failures (executions with
at least one), rating n/Σ, prompt tokens Σ/max, completion tokens Σ, latency Σ, and three fixed
log-scale histograms (``core.tracking.histogram``): latency, prompt tokens, and prompt tokens of
executions whose effective accuracy is at least ``HIGH_ACCURACY``.

``rollups_unit_daily`` — per (prompt, UTC day, unit id): executions, accuracy n/Σ/Σ², corrections,
failures, prompt tokens Σ. Executions without a unit id are not counted there.

Refresh (``refresh_rollups(engine)``), exact under concurrent writers:

* Refreshers serialise on a session-level advisory lock, then work in one REPEATABLE READ
  transaction (a single snapshot) taken *after* the lock, so a waiting refresher sees its
  predecessor's result.
* Every insert or summary change of an execution stamps ``change_xid`` with its transaction id.
  The refresh handles rows with ``watermark <= change_xid < xmin``, where ``xmin`` is the oldest
  transaction still running in its snapshot: every transaction below it has finished, so no row
  can later appear with a smaller ``change_xid``. The new watermark is that ``xmin``. (A long
  write transaction delays what the refresh can see; it never makes it lose rows.)
* Affected (prompt, hour) and (prompt, unit, day) groups are those of the changed rows —
  including old hours and days whose executions received late outcomes — and are recomputed from
  scratch from ``executions`` (delete + insert), so running it twice, or after a crash, cannot
  double count.
* A prompt is rebuilt whole (hourly rollups) when its segment dimensions changed, when it has no
  rollups yet, or when the changed hours are most of its hours (one parallel scan is then cheaper
  than many index ranges); ``full=True`` rebuilds both tables for every prompt.

``refresh_rollups`` takes an engine, not a session: it must own its transactions to hold a
session-level lock across them and to choose REPEATABLE READ. Planner settings for the large
aggregates (``work_mem``, parallel workers, hash rather than sort aggregation) are ``SET LOCAL``
in that transaction only; ``core.tracking.rollup_sql`` explains the SQL.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import Connection, Engine, text

from core.registry.settings import PromptSettings, describe_settings_error, prompt_settings
from core.tracking.rollup_sql import DAY, HOUR, HOURLY_COLUMNS, UNIT_COLUMNS, HourlySql, unit_aggregate

logger = logging.getLogger(__name__)

ROLLUP_LOCK_ID = 0x706C726F  # "plro"
DEFAULT_WORK_MEM = "256MB"
DEFAULT_PARALLEL_WORKERS = 2
# Rebuild a prompt's hourly rollups whole when more than this share of its hours changed (and at
# least REBUILD_MIN_HOURS did): past that, index ranges per hour cost more than one parallel scan.
REBUILD_FRACTION = 0.5
REBUILD_MIN_HOURS = 48
VACUUM_AFTER_ROWS = 50_000  # a refresh that wrote this many rollup rows vacuums and analyzes the rollup tables


@dataclass(frozen=True)
class RefreshResult:
    mode: Literal["full", "incremental"]
    rebuilt_prompts: tuple[int, ...]  # prompts whose hourly rollups were rebuilt whole
    changed_executions: int  # executions changed since the last refresh (0 for a full refresh)
    rows_written: int  # rollup rows inserted (hourly and unit-daily)
    watermark_from: int
    watermark_to: int
    seconds: float
    # prompts whose settings did not validate (name -> error): refreshed with their previous dimensions
    settings_errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefreshTuning:
    """Per-transaction planner settings and the whole-prompt rebuild threshold."""

    work_mem: str = DEFAULT_WORK_MEM
    parallel_workers: int = DEFAULT_PARALLEL_WORKERS
    rebuild_fraction: float = REBUILD_FRACTION
    rebuild_min_hours: int = REBUILD_MIN_HOURS


def _set_local(conn: Connection, tuning: RefreshTuning) -> None:
    # Group-count estimates over expressions are poor (they assume every segment value combines with
    # every other), which makes the planner pick sort-based aggregation; hashing is right here: the
    # result (cells x hours, units x days) is far smaller than the input.
    conn.execute(text("SELECT set_config('work_mem', :v, true)"), {"v": tuning.work_mem})
    conn.execute(
        text("SELECT set_config('max_parallel_workers_per_gather', :v, true)"), {"v": str(tuning.parallel_workers)}
    )
    conn.execute(text("SET LOCAL enable_sort = off"))
    conn.execute(text("SET LOCAL enable_incremental_sort = off"))


def _by_dimensions(dimensions: dict[int, list[str]], prompt_ids: Iterable[int]) -> list[HourlySql]:
    groups: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for prompt_id in sorted(prompt_ids):
        groups[tuple(dimensions[prompt_id])].append(prompt_id)
    return [HourlySql(dims, ids, f"g{i}") for i, (dims, ids) in enumerate(sorted(groups.items()))]


def _write_hourly(conn: Connection, parts: list[HourlySql], source: str, delete_sql: str) -> int:
    """Aggregate into a temp table (parallel), then replace the affected rollup rows with it."""
    params: dict[str, Any] = {}
    for part in parts:
        params |= part.params
    select_sql = " UNION ALL ".join(f"({part.aggregate(source)})" for part in parts)
    conn.execute(text(f"CREATE TEMP TABLE pl_hourly ON COMMIT DROP AS {select_sql}"), params)
    conn.execute(text(delete_sql), {"p": [p for part in parts for p in part.prompt_ids]})
    written = conn.execute(text(f"INSERT INTO rollups_hourly ({HOURLY_COLUMNS}) SELECT * FROM pl_hourly")).rowcount
    conn.execute(text("DROP TABLE pl_hourly"))
    return int(written)


def _rebuild_hourly(conn: Connection, dimensions: dict[int, list[str]], prompt_ids: list[int]) -> int:
    if not prompt_ids:
        return 0
    parts = _by_dimensions(dimensions, prompt_ids)
    return _write_hourly(conn, parts, "executions e", "DELETE FROM rollups_hourly WHERE prompt_id = ANY(:p)")


def _affected_hours(conn: Connection, prompt_ids: list[int], lo: int, hi: int) -> dict[int, int]:
    """Fill ``pl_hours`` with the (prompt, hour) pairs of rows changed in [lo, hi); count per prompt."""
    conn.execute(
        text(
            f"CREATE TEMP TABLE pl_hours ON COMMIT DROP AS SELECT DISTINCT e.prompt_id, {HOUR} AS hour "
            "FROM executions e WHERE e.change_xid >= :lo AND e.change_xid < :hi AND e.prompt_id = ANY(:p)"
        ),
        {"lo": lo, "hi": hi, "p": prompt_ids},
    )
    conn.execute(text("ANALYZE pl_hours"))
    rows = conn.execute(text("SELECT prompt_id, count(*) FROM pl_hours GROUP BY prompt_id")).all()
    return {int(p): int(n) for p, n in rows}


def _existing_hours(conn: Connection, prompt_ids: list[int]) -> dict[int, int]:
    rows = conn.execute(
        text(
            "SELECT prompt_id, count(*) FROM (SELECT DISTINCT prompt_id, hour FROM rollups_hourly "
            "WHERE prompt_id = ANY(:p)) h GROUP BY prompt_id"
        ),
        {"p": prompt_ids},
    ).all()
    return {int(p): int(n) for p, n in rows}


def _refresh_hourly(
    conn: Connection,
    dimensions: dict[int, list[str]],
    prompt_ids: list[int],
    *,
    lo: int,
    hi: int,
    tuning: RefreshTuning,
) -> tuple[list[int], int]:
    """Recompute the hours touched by rows changed in [lo, hi); (prompts rebuilt whole, rows written)."""
    if not prompt_ids:
        return [], 0
    affected = _affected_hours(conn, prompt_ids, lo, hi)
    existing = _existing_hours(conn, list(affected))
    rebuild = [
        p
        for p, n in affected.items()
        if n >= tuning.rebuild_min_hours and n > tuning.rebuild_fraction * existing.get(p, 0)
    ]
    written = _rebuild_hourly(conn, dimensions, rebuild)
    incremental = [p for p in affected if p not in rebuild]
    if incremental:
        source = (
            "pl_hours h JOIN executions e ON e.prompt_id = h.prompt_id AND e.occurred_at >= h.hour "
            "AND e.occurred_at < h.hour + INTERVAL '1 hour'"
        )
        delete = (
            "DELETE FROM rollups_hourly r USING pl_hours h "
            "WHERE r.prompt_id = h.prompt_id AND r.hour = h.hour AND h.prompt_id = ANY(:p)"
        )
        written += _write_hourly(conn, _by_dimensions(dimensions, incremental), source, delete)
    conn.execute(text("DROP TABLE pl_hours"))
    return rebuild, written


def _rebuild_units(conn: Connection, prompt_ids: list[int]) -> int:
    if not prompt_ids:
        return 0
    # Far more groups than cells: each worker's partial aggregate holds most of them, so the planner
    # must be told that handing partial rows to the leader is cheap, or it will not go parallel.
    conn.execute(text("SET LOCAL parallel_tuple_cost = 0.001"))
    conn.execute(
        text(
            "CREATE TEMP TABLE pl_units ON COMMIT DROP AS "
            + unit_aggregate(where="e.prompt_id = ANY(CAST(:p AS bigint[]))")
        ),
        {"p": prompt_ids},
    )
    conn.execute(text("SET LOCAL parallel_tuple_cost = DEFAULT"))
    conn.execute(text("DELETE FROM rollups_unit_daily WHERE prompt_id = ANY(:p)"), {"p": prompt_ids})
    written = conn.execute(text(f"INSERT INTO rollups_unit_daily ({UNIT_COLUMNS}) SELECT * FROM pl_units")).rowcount
    conn.execute(text("DROP TABLE pl_units"))
    return int(written)


def _refresh_units(conn: Connection, prompt_ids: list[int], lo: int, hi: int) -> int:
    """Recompute the (prompt, unit, day) groups of rows changed in [lo, hi)."""
    if not prompt_ids:
        return 0
    conn.execute(
        text(
            f"CREATE TEMP TABLE pl_unit_days ON COMMIT DROP AS SELECT DISTINCT e.prompt_id, e.unit_id, {DAY} AS day "
            "FROM executions e WHERE e.change_xid >= :lo AND e.change_xid < :hi AND e.prompt_id = ANY(:p) "
            "AND e.unit_id IS NOT NULL"
        ),
        {"lo": lo, "hi": hi, "p": prompt_ids},
    )
    conn.execute(text("ANALYZE pl_unit_days"))
    conn.execute(
        text(
            "DELETE FROM rollups_unit_daily r USING pl_unit_days a WHERE r.prompt_id = a.prompt_id "
            "AND r.unit_id = a.unit_id AND r.day = CAST(a.day AT TIME ZONE 'UTC' AS date)"
        )
    )
    # Each affected (prompt, day) is read once — through the (prompt_id, occurred_at) index, or by
    # one scan hashed on (prompt, day) when most days are affected — and then hash-joined with the
    # affected units. OFFSET 0 keeps the planner from joining the affected units first: it cannot
    # estimate that join and would then read a whole day once per affected unit.
    source = (
        f"(SELECT e.*, {DAY} AS day FROM (SELECT DISTINCT prompt_id, day FROM pl_unit_days) d "
        "JOIN executions e ON e.prompt_id = d.prompt_id AND e.occurred_at >= d.day "
        f"AND e.occurred_at < d.day + INTERVAL '1 day' AND {DAY} = d.day OFFSET 0) e "
        "JOIN pl_unit_days a ON a.prompt_id = e.prompt_id AND a.unit_id = e.unit_id AND a.day = e.day"
    )
    where = "true"
    written = conn.execute(
        text(f"INSERT INTO rollups_unit_daily ({UNIT_COLUMNS}) {unit_aggregate(source, where)}")
    ).rowcount
    conn.execute(text("DROP TABLE pl_unit_days"))
    return int(written)


def _prompt_dimensions(
    conn: Connection,
) -> tuple[dict[int, tuple[list[str], list[str] | None]], dict[str, str]]:
    """prompt id -> (segment dimensions to use, dimensions its rollups were built with); and for each
    prompt whose stored settings do not validate, its name -> the error.

    Such a prompt is not left out: its changes would be lost once the watermark moves past them. Its
    rollups keep the dimensions they were built with (the defaults if there are none yet); once the
    settings are fixed, a dimension change rebuilds them as usual.
    """
    rows = conn.execute(
        text(
            "SELECT p.id, p.name, p.settings, s.segment_dimensions FROM prompts p "
            "LEFT JOIN rollup_prompt_state s ON s.prompt_id = p.id"
        )
    ).all()
    state: dict[int, tuple[list[str], list[str] | None]] = {}
    errors: dict[str, str] = {}
    for pid, name, raw, built in rows:
        try:
            dimensions = prompt_settings(raw).segment_dimensions
        except PydanticValidationError as exc:
            dimensions = built if built is not None else PromptSettings().segment_dimensions
            errors[name] = describe_settings_error(exc)
            logger.warning(
                "prompt %s: settings do not validate (%s); its rollups keep segment dimensions %s",
                name, errors[name], dimensions,
            )  # fmt: skip
        state[pid] = (dimensions, built)
    return state, errors


def _record_dimensions(conn: Connection, dimensions: dict[int, list[str]], prompt_ids: list[int]) -> None:
    for prompt_id in prompt_ids:
        conn.execute(
            text(
                "INSERT INTO rollup_prompt_state (prompt_id, segment_dimensions) VALUES (:p, CAST(:d AS jsonb)) "
                "ON CONFLICT (prompt_id) DO UPDATE SET segment_dimensions = EXCLUDED.segment_dimensions"
            ),
            {"p": prompt_id, "d": json.dumps(dimensions[prompt_id])},
        )


def _changed_per_prompt(conn: Connection, lo: int, hi: int) -> dict[int, int]:
    rows = conn.execute(
        text(
            "SELECT prompt_id, count(*) FROM executions WHERE change_xid >= :lo AND change_xid < :hi GROUP BY prompt_id"
        ),
        {"lo": lo, "hi": hi},
    ).all()
    return {int(p): int(n) for p, n in rows}


def _refresh(conn: Connection, *, full: bool, tuning: RefreshTuning) -> RefreshResult:
    started = time.perf_counter()
    _set_local(conn, tuning)
    lo = int(conn.execute(text("SELECT watermark_xid FROM rollup_state WHERE id = 1")).scalar_one())
    hi = int(conn.execute(text("SELECT (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint")).scalar_one())
    full = full or lo == 0
    state, settings_errors = _prompt_dimensions(conn)
    dimensions = {pid: dims for pid, (dims, _) in state.items()}
    changed = {} if full else _changed_per_prompt(conn, lo, hi)
    stale = sorted(pid for pid, (dims, built) in state.items() if full or built != dims)
    incremental = sorted(pid for pid in changed if pid in state and pid not in stale)

    written = _rebuild_hourly(conn, dimensions, stale)
    fallback, n_hourly = _refresh_hourly(conn, dimensions, incremental, lo=lo, hi=hi, tuning=tuning)
    written += n_hourly
    if full:
        written += _rebuild_units(conn, sorted(state))
    else:
        written += _refresh_units(conn, sorted(p for p in changed if p in state), lo, hi)
    _record_dimensions(conn, dimensions, stale)
    conn.execute(
        text(
            "UPDATE rollup_state SET watermark_xid = :hi, refreshed_at = now(), "
            "last_full_at = CASE WHEN :full THEN now() ELSE last_full_at END WHERE id = 1"
        ),
        {"hi": hi, "full": full},
    )
    result = RefreshResult(
        mode="full" if full else "incremental",
        rebuilt_prompts=tuple(sorted([*stale, *fallback])),
        changed_executions=sum(changed.values()),
        rows_written=written,
        watermark_from=lo,
        watermark_to=hi,
        seconds=time.perf_counter() - started,
        settings_errors=settings_errors,
    )
    logger.info(
        "rollups refreshed (%s): %d prompt(s) rebuilt, %d changed executions, %d rows written in %.2fs",
        result.mode, len(result.rebuilt_prompts), result.changed_executions, written, result.seconds,
    )  # fmt: skip
    return result


def refresh_rollups(engine: Engine, *, full: bool = False, tuning: RefreshTuning | None = None) -> RefreshResult:
    """Bring ``rollups_hourly`` and ``rollups_unit_daily`` up to date; see the module docstring.

    Safe to run concurrently (the second caller waits, then finds little or nothing to do).
    """
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": ROLLUP_LOCK_ID})
        conn.commit()
        try:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                result = _refresh(conn, full=full, tuning=tuning or RefreshTuning())
            if result.rows_written >= VACUUM_AFTER_ROWS:
                # Now rather than whenever autovacuum comes by: planner statistics (after a first refresh the
                # planner guesses from an empty table and the first analytics queries take seconds), hint
                # bits and the visibility map for the rows just written. Outside the transaction, as
                # VACUUM must be; still under the lock.
                conn.execution_options(isolation_level="AUTOCOMMIT")
                conn.execute(text("VACUUM (ANALYZE) rollups_hourly, rollups_unit_daily"))
                conn.commit()
            return result
        finally:
            conn.execution_options(isolation_level="READ COMMITTED")
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": ROLLUP_LOCK_ID})
            conn.commit()
