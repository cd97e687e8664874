"""Rollup refresh time and the Overview query's latency over 10M executions (issue 3).

    python -m bench.rollup --rows 10000000 [--queries 60] [--seed 7] [--verbose]

Prints one JSON line ``{"rows", "refresh_s", "overview_query_p95_ms", ...}``.

* Data: ``rows`` executions generated server-side (``generate_series``) over 30 days for 4 prompts
  with 3 versions each (a new version every ~10 days, 10 % canary traffic on the next one), 4
  section sets (2 optional sections), segments expertise × language (3 × 2, configured as the
  prompts' segment dimensions), log-normal latencies, and outcome summaries as ingestion leaves
  them (70 % have an effective accuracy, 10 % corrected, 3 % failed, 5 % rated). 50 000 outcome
  records are then ingested for old executions (late outcomes).
* ``refresh_s``: wall time of ``refresh_rollups(engine, full=True)`` over all rows, with the
  ``VACUUM (ANALYZE)`` of the rollup tables it ends with (the first
  refresh of a database is the same work): ``rollups_hourly`` with its three histograms and
  ``rollups_unit_daily`` (50 000 units). ``incremental_refresh_s``: the refresh that follows
  the late outcomes.
* ``overview_query_p95_ms``: p95 over ``queries`` runs of the Overview page's read, the real code
  (``core.analytics.summary.daily_series``): one prompt, 30 days, daily executions, accuracy with its
  interval, correction and failure rates, tokens and latency p50/p95 (histograms summed per day in
  SQL), with a segment filter (expertise), rotating prompt and filter value; rollups only.
  ``first_overview_query_ms``: the first such query right after the refreshes, before the timed
  runs (cold caches, the planner statistics the refresh left behind).

* ``load_1min_start`` / ``load_1min_end``: the machine's 1-minute load average before and after
  (other work on a shared machine slows every figure; read them together).

Server settings: the scratch cluster's defaults. The refresh sets what it needs (``work_mem``,
parallel workers, hash aggregation) with ``SET LOCAL`` in its own transaction
(``core.tracking.rollups.RefreshTuning``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from bench._db import scratch_database
from core.analytics.cells import Scope
from core.analytics.summary import DailyPoint, daily_series
from core.db.engine import make_engine, transaction
from core.registry.prompts import create_prompt
from core.registry.settings import update_prompt_settings
from core.registry.spec import VersionContent
from core.registry.versions import add_version
from core.tracking.ingest import ingest_records
from core.tracking.rollups import refresh_rollups

log = logging.getLogger("bench.rollup")

PROMPTS = ["voice_intent", "dimension_extraction", "planning", "lead_enrichment"]
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
CHUNK = 1_000_000


def _register(engine: Engine) -> None:
    with transaction(engine) as session:
        for name in PROMPTS:
            create_prompt(session, name=name, actor="bench@localhost")
            for n in range(3):
                content = VersionContent.model_validate(
                    {"sections": [{"id": "identity", "text": f"{name} v{n}"}, {"id": "task", "text": "Do it."},
                                  {"id": "examples", "kind": "optional", "text": "e.g."},
                                  {"id": "tone", "kind": "optional", "text": "Be brief."}]}
                )  # fmt: skip
                add_version(session, prompt_name=name, content=content, actor="bench@localhost", bump="minor")
            update_prompt_settings(
                session, prompt_name=name, changes={"segment_dimensions": ["expertise", "language"]}, actor="bench"
            )


# One statement per chunk of executions; ``:lo``/``:hi`` bound the series, ``:n`` is the total.
_GENERATE = """
INSERT INTO executions (client_id, prompt_id, version_id, label, section_ids, section_set_hash, prompt_tokens,
    completion_tokens, latency_ms, model, unit_id, session_id, segment, occurred_at, accuracy, accuracy_kind,
    corrected, failed, rating)
SELECT 'bench-' || g, p.id, v.id,
       CASE WHEN t.canary THEN 'canary' ELSE 'production' END,
       s.ids, left(encode(sha256(convert_to(array_to_string(s.ids, chr(31)), 'UTF8')), 'hex'), 16),
       300 + (random() * 1200)::int, 20 + (random() * 280)::int,
       exp(6.5 + 0.6 * random_normal()), 'gpt-4o-mini', 'u-' || (g % 50000), 's-' || (g / 7),
       jsonb_build_object('expertise', (ARRAY['novice','intermediate','expert'])[1 + (g % 3)],
                          'language', (ARRAY['en','fr'])[1 + ((g / 3) % 2)]),
       t.at,
       CASE WHEN r.a < 0.7 THEN least(1.0, greatest(0.0, 0.75 + 0.2 * random_normal())) END,
       CASE WHEN r.a < 0.7 THEN 'USER_CORRECTION' END,
       r.a < 0.1, r.b < 0.03, CASE WHEN r.b > 0.95 THEN 1 + (random() * 4)::int END
FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) g
CROSS JOIN LATERAL (SELECT CAST(:start AS timestamptz) + (g::float8 / :n) * interval '30 days' AS at,
                           g::float8 / :n * 30 AS day, hashint8(g) % 10 = 0 AS canary) t
CROSS JOIN LATERAL (SELECT random() AS a, random() AS b) r
JOIN prompts p ON p.name = (ARRAY['voice_intent','dimension_extraction','planning','lead_enrichment'])[1 + (g % 4)]
JOIN prompt_versions v ON v.prompt_id = p.id
 AND v.minor = least(2, floor(t.day / 10)::int + CASE WHEN t.canary THEN 1 ELSE 0 END)
CROSS JOIN LATERAL (SELECT CASE (g / 4) % 4 WHEN 0 THEN ARRAY['identity','task']
                                          WHEN 1 THEN ARRAY['examples','identity','task']
                                          WHEN 2 THEN ARRAY['identity','task','tone']
                                          ELSE ARRAY['examples','identity','task','tone'] END AS ids) s
"""


def _overview(engine: Engine, prompt_id: int, expertise: str) -> list[DailyPoint]:
    """What the Overview page reads: the daily series of one prompt over 30 days, one segment."""
    scope = Scope(prompt_id, START, START + timedelta(days=DAYS), segment={"expertise": expertise})
    with transaction(engine) as session:
        return daily_series(session, scope, tz="UTC")


def _generate(engine: Engine, rows: int) -> None:
    for lo in range(0, rows, CHUNK):
        hi = min(rows, lo + CHUNK) - 1
        with transaction(engine) as session:
            session.execute(text(_GENERATE), {"lo": lo, "hi": hi, "n": rows, "start": START})
        log.info("generated %d / %d executions", hi + 1, rows)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE executions"))


def _late_outcomes(engine: Engine, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    records = [
        {"type": "outcome", "id": f"late-{j}", "execution_id": f"bench-{rng.randrange(rows)}",
         "kind": "USER_CORRECTION", "original": "set an alarm for seven", "corrected": "set an alarm for 6:45",
         "occurred_at": (START + timedelta(days=DAYS)).isoformat()}
        for j in range(50_000)
    ]  # fmt: skip
    with transaction(engine) as session:
        ingest_records(session, records)


def run(rows: int, queries: int, seed: int) -> dict[str, Any]:
    load_start = os.getloadavg()[0]
    with scratch_database("rollup") as url:
        engine = make_engine(url)
        _register(engine)
        started = time.perf_counter()
        _generate(engine, rows)
        log.info("generated in %.0fs", time.perf_counter() - started)

        load_refresh = os.getloadavg()[0]
        begun = time.perf_counter()
        refresh = refresh_rollups(engine, full=True)
        refresh_s = time.perf_counter() - begun  # with the VACUUM (ANALYZE) that follows a large refresh
        log.info("full refresh: %s", refresh)
        _late_outcomes(engine, rows, seed)
        begun = time.perf_counter()
        incremental = refresh_rollups(engine)
        incremental_s = time.perf_counter() - begun
        log.info("incremental refresh: %s", incremental)
        with engine.connect() as conn:  # no VACUUM/ANALYZE here: the refresh leaves what users get
            prompt_ids = list(conn.execute(text("SELECT id FROM prompts ORDER BY id")).scalars())
            rollup_rows = conn.execute(text("SELECT count(*) FROM rollups_hourly")).scalar_one()
            unit_rows = conn.execute(text("SELECT count(*) FROM rollups_unit_daily")).scalar_one()

        rng = random.Random(seed)
        begun = time.perf_counter()
        _overview(engine, prompt_ids[0], "novice")
        first_ms = (time.perf_counter() - begun) * 1000
        timings = []
        for _ in range(queries):
            begun = time.perf_counter()
            days = _overview(engine, rng.choice(prompt_ids), rng.choice(["novice", "intermediate", "expert"]))
            timings.append((time.perf_counter() - begun) * 1000)
            assert len(days) == DAYS, len(days)
        engine.dispose()

    return {
        "rows": rows,
        "refresh_s": round(refresh_s, 2),
        "load_1min_before_refresh": round(load_refresh, 2),
        "overview_query_p95_ms": round(statistics.quantiles(timings, n=20)[-1], 1),
        "overview_query_p50_ms": round(statistics.median(timings), 1),
        "first_overview_query_ms": round(first_ms, 1),
        "incremental_refresh_s": round(incremental_s, 2),
        "incremental_changed_executions": incremental.changed_executions,
        "rollup_rows": rollup_rows,
        "unit_daily_rows": unit_rows,
        "load_1min_start": round(load_start, 2),
        "load_1min_end": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(name)s: %(message)s")
    print(json.dumps(run(args.rows, args.queries, args.seed)))


if __name__ == "__main__":
    main()
