"""The one raw read of the insight engine: a bounded sample of correction texts.

Correction texts (``outcomes.original`` / ``corrected``, redacted at ingestion) exist only in the raw
rows, so pattern mining reads them — and nothing else reads raw rows. The read is bounded twice: a
time window, and at most ``per_hour`` corrected executions per hour of it (one index range scan per
hour on ``ix_executions_prompt_occurred``, then the correction by ``ix_outcomes_execution_pk``), so
its cost does not grow with traffic. Spreading the cap over the hours keeps every day represented;
the hour's correction count from the rollups turns the sample back into estimated counts
(each sampled correction stands for ``corrections(hour) / sampled(hour)`` corrections).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

_SAMPLE = text(
    """
    SELECT h.hour, x.occurred_at, x.original, x.corrected, x.accuracy
    FROM generate_series(CAST(:start AS timestamptz), CAST(:last AS timestamptz), interval '1 hour') AS h(hour)
    CROSS JOIN LATERAL (
        SELECT e.occurred_at, c.original, c.corrected, c.accuracy
        FROM executions e
        CROSS JOIN LATERAL (
            SELECT o.original, o.corrected, o.accuracy
            FROM outcomes o
            WHERE o.execution_pk = e.id AND o.kind = 'USER_CORRECTION'
              AND o.original IS NOT NULL AND o.corrected IS NOT NULL
            ORDER BY o.occurred_at DESC, o.id DESC
            LIMIT 1
        ) c
        WHERE e.prompt_id = :prompt_id AND e.corrected
          AND e.occurred_at >= h.hour AND e.occurred_at < h.hour + interval '1 hour'
        ORDER BY e.occurred_at, e.id
        LIMIT :per_hour
    ) x
    ORDER BY h.hour, x.occurred_at
    """
)


@dataclass(frozen=True)
class CorrectionText:
    hour: datetime  # start of the UTC hour the execution ran in
    occurred_at: datetime
    original: str
    corrected: str
    accuracy: float  # the correction's similarity: 1 − the accuracy it cost


def per_hour_cap(max_rows: int, start: datetime, end: datetime) -> int:
    hours = max(1, math.ceil((end - start) / timedelta(hours=1)))
    return max(1, max_rows // hours)


def sample_corrections(
    session: Session, *, prompt_id: int, start: datetime, end: datetime, max_rows: int
) -> list[CorrectionText]:
    """Corrections of executions in [start, end) (whole UTC hours), at most ~``max_rows``, oldest first."""
    first = start.replace(minute=0, second=0, microsecond=0)
    last = end - timedelta(microseconds=1)
    last = last.replace(minute=0, second=0, microsecond=0)
    if last < first:
        return []
    params = {
        "prompt_id": prompt_id,
        "start": first,
        "last": last,
        "per_hour": per_hour_cap(max_rows, first, end),
    }
    return [
        CorrectionText(row.hour, row.occurred_at, row.original, row.corrected, float(row.accuracy))
        for row in session.execute(_SAMPLE, params)
    ]
