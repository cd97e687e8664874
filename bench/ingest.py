"""Ingestion throughput against the raw COPY ceiling (issue 3).

    python -m bench.ingest --rows 1000000 [--repeat 5] [--outcome-share 0.2] [--seed 7] [--verbose]

Prints one JSON line ``{"rows", "ingest_rows_per_s", "copy_rows_per_s", "ratio", "ratios", ...}``.

* ``rows``: records, ``1 - outcome_share`` of them executions and the rest outcomes (half
  call-time successes, the rest corrections with text to redact and compare, failures with error
  text, scores and ratings; 3 % of outcomes arrive before their execution).
* ``ingest_rows_per_s``: rows / wall time of ``ingest_records`` on the list of Python dicts (JSON-like:
  timestamps as ISO strings) into empty tables, in one transaction, through pydantic validation,
  registry lookup, accuracy computation, redaction and the bulk path (binary COPY into the tables
  with each execution's effective accuracy, pending-outcome attachment), until COMMIT returns.
* ``copy_rows_per_s``: rows / wall time of a raw binary COPY of the same records into bare tables
  (same column types — text, bigint, text[], jsonb, timestamptz — no index, no constraint), from
  tuples built before the clock starts, then COMMIT. ``copy_prepared_rows_per_s``: the same with the
  rows already encoded as our staging rows (JSON and section lists as text) — the tightest ceiling.
* ``ratio`` = ingest / copy (the issue's target); ``ratio_vs_prepared`` = ingest / prepared copy.
* ``copy_indexed_rows_per_s``: the raw COPY again, into the same bare tables carrying the indexes the
  real ones cannot do without (unique client ids for idempotent replay, executions by prompt and time,
  outcomes by execution id); ``ratio_vs_indexed`` = ingest / indexed copy. Not the issue's target:
  it shows how much of the gap is index maintenance rather than ingestion code.
* ``repeat`` rounds (default 5), each timing the three COPYs and then the ingestion back to back, each
  measurement after a ``CHECKPOINT`` (so that none pays for the WAL another left behind).
  Every rate and ratio is the median over the rounds, each ratio taken within its round, so that a
  slow spell of a shared machine weighs on both of its sides; ``ratios`` lists each round's ``ratio``.
* ``load_1min_start`` / ``load_1min_end``: the machine's 1-minute load average before and after
  (other work on a shared machine slows every figure; read them together).

Both run on the same server and database (a scratch database; see ``bench._db``).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import random
import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import text

from bench._db import scratch_database
from core.db.engine import make_engine, psycopg_conninfo, transaction
from core.registry.prompts import create_prompt
from core.registry.spec import VersionContent
from core.registry.versions import add_version
from core.tracking.ingest import ingest_records
from core.tracking.redaction import Redactor
from core.tracking.validation import ExecRow, SourceRecord, Validator

log = logging.getLogger("bench.ingest")

PROMPT = "bench_intent"
SECTIONS = ["identity", "task", "examples", "tone", "format"]
T0 = datetime(2026, 10, 1, tzinfo=UTC)
CORRECTIONS = [
    ("Book a table for two at 8pm", "Book a table for four at 8pm"),
    ("Remind me to call mom tomorrow", "Remind me to call mom on Sunday at 6pm, her number is +33 6 12 34 56 78"),
    ("Send the report to the team", "Send the Q3 report to finance@example.com and the team"),
    ("Set an alarm for 7", "Set an alarm for 6:45 on weekdays"),
]


def _register(url: str) -> None:
    engine = make_engine(url)
    with transaction(engine) as session:
        create_prompt(session, name=PROMPT, actor="bench@localhost")
        for n in range(3):
            content = VersionContent.model_validate(
                {"sections": [{"id": s, "kind": "optional" if i > 1 else "required", "text": f"{s} v{n}"}
                              for i, s in enumerate(SECTIONS)]}
            )  # fmt: skip
            add_version(session, prompt_name=PROMPT, content=content, actor="bench@localhost", bump="minor")
    engine.dispose()


def _execution(i: int, rng: random.Random) -> dict[str, Any]:
    at = T0 + timedelta(seconds=i * 2.6)
    return {
        "type": "execution",
        "id": f"exec-{i:09d}",
        "prompt": PROMPT,
        "version": ["1.0.0", "1.1.0", "1.2.0"][rng.randrange(3)],
        "label": "production" if rng.random() < 0.9 else "canary",
        "sections": SECTIONS[:2] + [s for s in SECTIONS[2:] if rng.random() < 0.5],
        "prompt_tokens": rng.randrange(300, 1500),
        "completion_tokens": rng.randrange(20, 300),
        "latency_ms": round(rng.lognormvariate(6.5, 0.6), 1),
        "model": "gpt-4o-mini",
        "unit_id": f"u-{rng.randrange(50_000)}",
        "session_id": f"s-{i // 7}",
        "segment": {
            "expertise": rng.choice(["novice", "intermediate", "expert"]),
            "language": rng.choice(["en", "fr"]),
        },
        "occurred_at": at.isoformat(),
    }


def _outcome(j: int, execution_index: int, rng: random.Random) -> dict[str, Any]:
    at = T0 + timedelta(seconds=execution_index * 2.6 + rng.randrange(1, 600))
    record: dict[str, Any] = {
        "type": "outcome",
        "id": f"out-{j:09d}",
        "execution_id": f"exec-{execution_index:09d}",
        "occurred_at": at.isoformat(),
    }
    roll = rng.random()
    if roll < 0.5:
        record["kind"] = "EXECUTION_SUCCESS"
    elif roll < 0.7:
        original, corrected = rng.choice(CORRECTIONS)
        record |= {"kind": "USER_CORRECTION", "original": original, "corrected": corrected}
    elif roll < 0.8:
        record |= {"kind": "EXECUTION_FAILURE", "error": "upstream timeout after 30s (request id 8f2c, key sk-abc)"}
    elif roll < 0.9:
        record |= {"kind": "QUALITY_SCORE", "score": round(rng.random(), 3)}
    else:
        record |= {"kind": "USER_RATING", "rating": rng.randrange(1, 6)}
    return record


def make_records(rows: int, outcome_share: float, seed: int) -> list[dict[str, Any]]:
    """Executions in time order, each outcome right after (3 %: right before) its execution."""
    rng = random.Random(seed)
    n_outcomes = int(rows * outcome_share)
    n_exec = rows - n_outcomes
    per_execution = Counter(rng.randrange(n_exec) for _ in range(n_outcomes))
    records: list[dict[str, Any]] = []
    j = 0
    for i in range(n_exec):
        before: list[dict[str, Any]] = []
        after: list[dict[str, Any]] = []
        for _ in range(per_execution.get(i, 0)):
            (before if rng.random() < 0.03 else after).append(_outcome(j, i, rng))
            j += 1
        records.extend(before)
        records.append(_execution(i, rng))
        records.extend(after)
    return records


_NATURAL_EXEC = ["text", "text", "text", "text", "text", "text", "text[]", "int4", "int4", "float8", "text",
                 "text", "text", "jsonb", "timestamptz"]  # fmt: skip
_NATURAL_OUT = ["text", "text", "text", "float8", "text", "text", "text", "float8", "int2", "timestamptz"]


def _natural_rows(records: list[dict[str, Any]]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    executions, outcomes = [], []
    for r in records:
        at = datetime.fromisoformat(r["occurred_at"])
        if r["type"] == "execution":
            executions.append(
                (r["id"], r["prompt"], r["version"], r["label"], None, None, r["sections"], r["prompt_tokens"],
                 r["completion_tokens"], r["latency_ms"], r["model"], r["unit_id"], r["session_id"],
                 Jsonb(r["segment"]), at)
            )  # fmt: skip
        else:
            outcomes.append(
                (r["id"], r["execution_id"], r["kind"], r.get("accuracy"), r.get("error"), r.get("original"),
                 r.get("corrected"), r.get("score"), r.get("rating"), at)
            )  # fmt: skip
    return executions, outcomes


# The indexes the real tables need whatever the ingestion code does: unique client ids (idempotent replay),
# the read path's (prompt, time) and the pending-outcome lookup by execution id.
_INDEXES = (
    "CREATE UNIQUE INDEX ON bare_exec (client_id)",
    "CREATE INDEX ON bare_exec (prompt, occurred_at)",
    "CREATE UNIQUE INDEX ON bare_out (client_id)",
    "CREATE INDEX ON bare_out (execution_id)",
)


Table = tuple[str, str, list[str], list[tuple[Any, ...]]]  # name, columns, COPY types, rows


def _checkpoint(conn: psycopg.Connection[Any]) -> None:
    """Flush what earlier measurements left dirty, so that no measurement pays for another's writes
    (a checkpoint forced by the WAL they accumulated). Needs superuser or pg_checkpoint: skipped if not."""
    try:
        conn.execute("CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        conn.rollback()
        log.warning("cannot CHECKPOINT on this server: rounds may pay for each other's writes")


def _copy(conninfo: str, tables: list[Table], indexes: tuple[str, ...] = ()) -> float:
    """Create bare tables (with ``indexes``, if any), COPY the rows in binary, commit; wall seconds of
    COPY + commit."""
    with psycopg.connect(conninfo) as conn:
        for name, columns, _, _ in tables:
            conn.execute(f"DROP TABLE IF EXISTS {name}")
            conn.execute(f"CREATE TABLE {name} ({columns})")
        for statement in indexes:
            conn.execute(statement)
        conn.commit()
        _checkpoint(conn)
        started = time.perf_counter()
        for name, _, types, rows in tables:
            with conn.cursor().copy(f"COPY {name} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        conn.commit()
        elapsed = time.perf_counter() - started
        for name, _, _, _ in tables:
            conn.execute(f"DROP TABLE {name}")
        conn.commit()
    return elapsed


def _prepared_rows(url: str, records: list[dict[str, Any]]) -> tuple[list[ExecRow], list[tuple[Any, ...]]]:
    engine = make_engine(url)
    with transaction(engine) as session:
        validator = Validator(session, Redactor())
        executions: list[ExecRow] = []
        outcomes: list[tuple[Any, ...]] = []
        for i, record in enumerate(records):
            row = validator.check(SourceRecord(i, "record", record))
            (executions if isinstance(row, ExecRow) else outcomes).append(row)  # type: ignore[arg-type]
    engine.dispose()
    return executions, outcomes


def _natural_tables(records: list[dict[str, Any]]) -> list[Table]:
    natural_exec, natural_out = _natural_rows(records)
    return [
        ("bare_exec", "client_id text, prompt text, version text, label text, experiment text, arm text, "
         "sections text[], prompt_tokens int4, completion_tokens int4, latency_ms float8, model text, "
         "unit_id text, session_id text, segment jsonb, occurred_at timestamptz", _NATURAL_EXEC, natural_exec),
        ("bare_out", "client_id text, execution_id text, kind text, accuracy float8, error text, original text, "
         "corrected text, score float8, rating int2, occurred_at timestamptz", _NATURAL_OUT, natural_out),
    ]  # fmt: skip


def _prepared_tables(url: str, records: list[dict[str, Any]]) -> list[Table]:
    prepared_exec, prepared_out = _prepared_rows(url, records)
    return [
        ("bare_exec", "client_id text, prompt_id int8, version_id int8, label text, experiment text, arm text, "
         "sections text, section_set_hash text, prompt_tokens int4, completion_tokens int4, latency_ms float8, "
         "model text, unit_id text, session_id text, segment text, occurred_at timestamptz",
         ["text", "int8", "int8", "text", "text", "text", "text", "text", "int4", "int4", "float8", "text",
          "text", "text", "text", "timestamptz"], prepared_exec),  # type: ignore[list-item]
        ("bare_out", "client_id text, execution_client_id text, kind text, accuracy float8, accuracy_given bool, "
         "error text, original text, corrected text, score float8, rating int2, occurred_at timestamptz",
         ["text", "text", "text", "float8", "bool", "text", "text", "text", "float8", "int2", "timestamptz"],
         prepared_out),
    ]  # fmt: skip


def _ingest(url: str, records: list[dict[str, Any]]) -> tuple[float, int]:
    """Empty the tables, then ``ingest_records`` in one transaction; (wall seconds until COMMIT returns,
    outcomes left pending)."""
    engine = make_engine(url)
    with engine.begin() as conn:  # the previous round's rows: every round stores the same ids anew
        conn.execute(text("TRUNCATE executions, outcomes RESTART IDENTITY"))
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as conn:
        _checkpoint(conn)
    started = time.perf_counter()
    with transaction(engine) as session:
        result = ingest_records(session, records)
    elapsed = time.perf_counter() - started
    engine.dispose()
    log.info("ingest: %.1fs (%s)", elapsed, result)
    assert result.accepted == len(records), result
    return elapsed, result.pending


def run(rows: int, outcome_share: float, seed: int, repeat: int) -> dict[str, Any]:
    """``repeat`` rounds, each timing the raw, indexed and prepared COPYs and then the ingestion, back to
    back; every rate and ratio is the median over rounds, a ratio being taken within its round (so a
    slow spell of a shared machine weighs on both sides of it), and ``ratios`` lists each round's."""
    load_start = os.getloadavg()[0]
    with scratch_database("ingest") as url:
        _register(url)
        records = make_records(rows, outcome_share, seed)
        log.info("generated %d records", len(records))
        conninfo = psycopg_conninfo(url)

        rounds: list[dict[str, float]] = []
        pending = 0
        for number in range(1, repeat + 1):
            # Each side's rows are built for its measurement and dropped after it (as before a single
            # round), so that no measurement runs with another's rows on the heap.
            natural = _natural_tables(records)
            copy_s = _copy(conninfo, natural)
            indexed_s = _copy(conninfo, natural, _INDEXES)
            del natural
            prepared = _prepared_tables(url, records)
            prepared_s = _copy(conninfo, prepared)
            del prepared
            gc.collect()
            ingest_s, pending = _ingest(url, records)
            rounds.append({"copy": rows / copy_s, "indexed": rows / indexed_s, "prepared": rows / prepared_s,
                           "ingest": rows / ingest_s, "ingest_s": ingest_s})  # fmt: skip
            log.info("round %d: raw COPY %.1fs, indexed %.1fs, prepared %.1fs, ingest %.1fs (ratio %.3f)",
                     number, copy_s, indexed_s, prepared_s, ingest_s, copy_s / ingest_s)  # fmt: skip

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    def ratio(ceiling: str) -> float:
        return round(statistics.median(r["ingest"] / r[ceiling] for r in rounds), 3)

    return {
        "rows": rows,
        "ingest_rows_per_s": round(median("ingest")),
        "copy_rows_per_s": round(median("copy")),
        "ratio": ratio("copy"),
        "ratios": [round(r["ingest"] / r["copy"], 3) for r in rounds],
        "copy_prepared_rows_per_s": round(median("prepared")),
        "ratio_vs_prepared": ratio("prepared"),
        "copy_indexed_rows_per_s": round(median("indexed")),
        "ratio_vs_indexed": ratio("indexed"),
        "ingest_s": round(median("ingest_s"), 2),
        "repeat": repeat,
        "outcome_share": outcome_share,
        "pending_after": pending,
        "load_1min_start": round(load_start, 2),
        "load_1min_end": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--outcome-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of ceiling and ingestion (medians are reported)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
    print(json.dumps(run(args.rows, args.outcome_share, args.seed, args.repeat)))


if __name__ == "__main__":
    main()
