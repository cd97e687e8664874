"""Insight discovery and the weekly optimization report over 10M outcomes (issue 5).

Prints one JSON line ``{"rows", "insight_discovery_s", "optimization_report_s", ...}``.

* Data: ``bench.rollup``'s generator — ``rows`` executions over 30 days for 4 prompts, 3 versions each,
  segments, section sets, latencies — plus one outcome row per execution (so ``rows`` outcomes: call-time
  successes, failures with error texts, and corrections whose texts follow five themes, for the pattern
  miner), and ``production`` label moves every ten days (for the regression rule). Rollups are built.
* ``insight_discovery_s``: what one hourly run of the insight-discovery flow does, through core (no
  Prefect overhead): an incremental rollup refresh after one more hour of traffic ingested through the
  real bulk path, then ``discover_prompt`` for every prompt (analytics, correction patterns, the rule
  table, insight upserts). Target: <= 30 s on 2 cores.
* ``optimization_report_s``: ``analyse_prompt`` for every prompt, then ``finalise`` (BH across the run,
  recommendations, the stored report).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, text

from bench._db import scratch_database
from bench.rollup import DAYS, PROMPTS, START, _generate, _register
from core.config import Settings
from core.db.engine import make_engine, transaction
from core.insights.discovery import discover_prompt
from core.recommend.weekly import analyse_prompt, finalise
from core.registry.labels import move_label
from core.tracking.ingest import ingest_records
from core.tracking.rollups import refresh_rollups

log = logging.getLogger("bench.insights")
NOW = START + timedelta(days=DAYS, hours=1)

# One outcome per execution, written server-side: what ingestion leaves, at 10M scale in minutes.
_OUTCOMES = """
INSERT INTO outcomes (client_id, execution_client_id, execution_pk, kind, accuracy, accuracy_given, error,
                      original, corrected, occurred_at)
SELECT 'o-' || e.client_id, e.client_id, e.id,
       CASE WHEN e.failed THEN 'EXECUTION_FAILURE' WHEN e.corrected THEN 'USER_CORRECTION'
            ELSE 'EXECUTION_SUCCESS' END,
       coalesce(e.accuracy, CASE WHEN e.failed THEN 0 ELSE 1 END), e.accuracy IS NOT NULL,
       CASE WHEN e.failed THEN 'upstream timeout after 30 s' END,
       CASE WHEN e.corrected THEN (ARRAY['remind me on 03/04 at 9', 'book a table for four people',
            'convert 5 miles', 'call mum tomorrow', 'set the heating to 20'])[1 + (e.id % 5)] END,
       CASE WHEN e.corrected THEN (ARRAY['remind me on 2026-04-03 at 09:00', 'book a table for 4 people',
            'convert 5 miles to 8.05 km', 'call mum tomorrow at 18:00', 'set the heating to 20 °C'])[1 + (e.id % 5)]
            END,
       e.occurred_at + interval '5 minutes'
FROM executions e WHERE e.id BETWEEN :lo AND :hi
"""


def _outcomes(engine: Engine, rows: int) -> None:
    with engine.connect() as conn:
        lo, hi = conn.execute(text("SELECT min(id), max(id) FROM executions")).one()
    step = 1_000_000
    for start in range(lo, hi + 1, step):
        with transaction(engine) as session:
            session.execute(text(_OUTCOMES), {"lo": start, "hi": min(hi, start + step - 1)})
        log.info("outcomes up to execution %d / %d", min(hi, start + step - 1), hi)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE outcomes"))


def _label_moves(engine: Engine) -> None:
    with transaction(engine) as session:
        for name in PROMPTS:
            for minor, day in ((0, 0), (1, 10), (2, 20)):
                move_label(
                    session, prompt_name=name, label="production", version=f"1.{minor}.0", actor="bench",
                    reason="bench timeline", moved_at=START + timedelta(days=day),
                )  # fmt: skip


def _one_more_hour(engine: Engine, per_prompt: int) -> None:
    """An hour of new traffic through the real ingestion path, as the hourly flow would find it."""
    at = START + timedelta(days=DAYS)
    records: list[dict[str, Any]] = []
    for prompt in PROMPTS:
        for i in range(per_prompt):
            when = (at + timedelta(seconds=i * 3600 // per_prompt)).isoformat()
            eid = f"hour-{prompt}-{i}"
            records.append({"type": "execution", "id": eid, "prompt": prompt, "version": "1.2.0",
                            "label": "production", "sections": ["identity", "task"], "prompt_tokens": 800,
                            "latency_ms": 700.0, "unit_id": f"u-{i % 500}",
                            "segment": {"expertise": "novice", "language": "en"}, "occurred_at": when})  # fmt: skip
            records.append({"type": "outcome", "id": f"o-{eid}", "execution_id": eid,
                            "kind": "EXECUTION_SUCCESS", "occurred_at": when})  # fmt: skip
    with transaction(engine) as session:
        ingest_records(session, records)


def run(rows: int, hour_per_prompt: int) -> dict[str, Any]:
    load_start = os.getloadavg()[0]
    settings = Settings()
    with scratch_database("insights") as url:
        engine = make_engine(url)
        _register(engine)
        _generate(engine, rows)
        _outcomes(engine, rows)
        _label_moves(engine)
        refresh_rollups(engine, full=True)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
            outcomes = conn.execute(text("SELECT count(*) FROM outcomes")).scalar_one()
        _one_more_hour(engine, hour_per_prompt)

        load_discovery = os.getloadavg()[0]
        began = time.perf_counter()
        refresh_rollups(engine)
        refresh_s = time.perf_counter() - began
        per_prompt: dict[str, float] = {}
        findings = 0
        for name in PROMPTS:
            t0 = time.perf_counter()
            with transaction(engine) as session:
                result = discover_prompt(session, prompt_name=name, now=NOW, settings=settings)
            per_prompt[name] = round(time.perf_counter() - t0, 2)
            findings += result.findings
        discovery_s = time.perf_counter() - began

        began = time.perf_counter()
        analyses = []
        for name in PROMPTS:
            with transaction(engine) as session:
                analyses.append(analyse_prompt(session, prompt_name=name, now=NOW, settings=settings))
        with transaction(engine) as session:
            outcome = finalise(session, analyses=analyses, errors={}, now=NOW, settings=settings, actor="bench")
        report_s = time.perf_counter() - began
        engine.dispose()

    return {
        "rows": rows,
        "outcomes": outcomes,
        "insight_discovery_s": round(discovery_s, 2),
        "insight_discovery_refresh_s": round(refresh_s, 2),
        "discover_prompt_s": per_prompt,
        "findings": findings,
        "optimization_report_s": round(report_s, 2),
        "recommendations": outcome.recommendations,
        "load_1min_start": round(load_start, 2),
        "load_1min_before_discovery": round(load_discovery, 2),
        "load_1min_end": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="executions (and outcomes) to generate")
    parser.add_argument("--hour", type=int, default=500, help="new executions per prompt in the timed hour")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    print(json.dumps(run(args.rows, args.hour)))


if __name__ == "__main__":
    main()
