"""Aggregation of rollup cells: the one place analytics turns ``rollups_hourly`` rows into statistics.

Everything here reads rollups only, never raw executions. A :class:`Scope` selects rows (one prompt,
a time range, optional versions / label / experiment arm / segment); :func:`aggregate` sums them
grouped by any of :data:`DIMENSIONS` in one SQL statement. Histograms (dense arrays of the fixed
log-scale buckets of ``core.tracking.histogram``) are summed bucket by bucket in SQL, and only the
ones asked for, because they dominate the cost of a read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.stats import MeanStats, PropStats
from core.tracking.histogram import percentile

# Group-by dimensions and their SQL; ``:tz`` is the time zone of day boundaries.
DIMENSIONS: Mapping[str, str] = {
    "day": "(date_trunc('day', hour AT TIME ZONE :tz))::date",
    "hour": "hour",
    "version_id": "version_id",
    "label": "label",
    "experiment": "experiment",
    "arm": "arm",
    "section_set_hash": "section_set_hash",
    "section_ids": "section_ids",
    "segment_key": "segment_key",
}
Histogram = Literal["latency_hist", "prompt_tokens_hist", "prompt_tokens_hist_high"]

_SUMS = (
    "executions",
    "accuracy_n",
    "accuracy_sum",
    "accuracy_sum_sq",
    "corrections",
    "failures",
    "rating_n",
    "rating_sum",
    "prompt_tokens_sum",
    "completion_tokens_sum",
    "latency_ms_sum",
)


@dataclass(frozen=True)
class Scope:
    """Which rollup rows to read. Times are UTC-aware; ``end`` is exclusive."""

    prompt_id: int
    start: datetime
    end: datetime
    version_ids: tuple[int, ...] | None = None
    label: str | None = None
    experiment: str | None = None
    arm: str | None = None
    segment: Mapping[str, Any] | None = None  # every given key must match (JSON containment)

    def with_versions(self, *version_ids: int) -> Scope:
        return Scope(
            self.prompt_id, self.start, self.end, tuple(version_ids), self.label, self.experiment, self.arm,
            self.segment,
        )  # fmt: skip


@dataclass(frozen=True)
class CellStats:
    """Sufficient statistics of any set of rollup rows; they add."""

    executions: int = 0
    accuracy: MeanStats = field(default_factory=MeanStats.empty)
    corrections: int = 0
    failures: int = 0
    rating_n: int = 0
    rating_sum: int = 0
    prompt_tokens_sum: int = 0
    prompt_tokens_max: int = 0
    completion_tokens_sum: int = 0
    latency_ms_sum: float = 0.0
    histograms: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    def __add__(self, other: CellStats) -> CellStats:
        names = set(self.histograms) | set(other.histograms)
        return CellStats(
            executions=self.executions + other.executions,
            accuracy=self.accuracy + other.accuracy,
            corrections=self.corrections + other.corrections,
            failures=self.failures + other.failures,
            rating_n=self.rating_n + other.rating_n,
            rating_sum=self.rating_sum + other.rating_sum,
            prompt_tokens_sum=self.prompt_tokens_sum + other.prompt_tokens_sum,
            prompt_tokens_max=max(self.prompt_tokens_max, other.prompt_tokens_max),
            completion_tokens_sum=self.completion_tokens_sum + other.completion_tokens_sum,
            latency_ms_sum=self.latency_ms_sum + other.latency_ms_sum,
            histograms={name: _add(self.histograms.get(name), other.histograms.get(name)) for name in names},
        )

    @property
    def correction_rate(self) -> PropStats:
        return PropStats(self.executions, self.corrections)

    @property
    def failure_rate(self) -> PropStats:
        return PropStats(self.executions, self.failures)

    @property
    def mean_prompt_tokens(self) -> float | None:
        return self.prompt_tokens_sum / self.executions if self.executions else None

    @property
    def mean_rating(self) -> float | None:
        return self.rating_sum / self.rating_n if self.rating_n else None

    def quantile(self, histogram: Histogram, q: float) -> float | None:
        """A quantile read from a summed histogram (None if it was not loaded or is empty)."""
        hist = self.histograms.get(histogram)
        return percentile(hist, q) if hist else None


def _add(a: tuple[int, ...] | None, b: tuple[int, ...] | None) -> tuple[int, ...]:
    if a is None:
        return b or ()
    if b is None:
        return a
    return tuple(x + y for x, y in zip(a, b, strict=True))


@dataclass(frozen=True)
class Group:
    key: Mapping[str, Any]
    stats: CellStats


def _where(scope: Scope) -> tuple[str, dict[str, Any]]:
    clauses = ["prompt_id = :prompt_id", "hour >= :start", "hour < :end"]
    params: dict[str, Any] = {"prompt_id": scope.prompt_id, "start": scope.start, "end": scope.end}
    if scope.version_ids is not None:
        clauses.append("version_id = ANY(:version_ids)")
        params["version_ids"] = list(scope.version_ids)
    for name in ("label", "experiment", "arm"):
        value = getattr(scope, name)
        if value is not None:
            clauses.append(f"{name} = :{name}")
            params[name] = value
    if scope.segment:
        clauses.append("segment_key @> CAST(:segment AS jsonb)")
        params["segment"] = json.dumps(dict(scope.segment))
    return " AND ".join(clauses), params


def aggregate(
    session: Session,
    scope: Scope,
    *,
    by: Sequence[str] = (),
    histograms: Sequence[Histogram] = (),
    tz: str = "UTC",
) -> list[Group]:
    """Sum the scope's rollup rows grouped by ``by`` (any of :data:`DIMENSIONS`), ordered by the key."""
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimensions {unknown}; choose from {sorted(DIMENSIONS)}")
    where, params = _where(scope)
    params["tz"] = tz
    keys = [f"{DIMENSIONS[d]} AS k_{d}" for d in by]
    key_refs = [f"k_{d}" for d in by]
    group = f"GROUP BY {', '.join(key_refs)}" if by else ""
    sums = ", ".join(f"sum({c}) AS {c}" for c in _SUMS)
    select_keys = ", ".join(keys) + ", " if keys else ""
    hist_cols = "".join(f", {h}" for h in histograms)
    sql = [
        f"WITH cells AS (SELECT {select_keys}{', '.join(_SUMS)}, prompt_tokens_max{hist_cols} "
        f"FROM rollups_hourly WHERE {where}),",
        f"totals AS (SELECT {', '.join(key_refs) + ', ' if by else ''}{sums}, max(prompt_tokens_max) "
        f"AS prompt_tokens_max FROM cells {group})",
    ]
    joins = []
    for h in histograms:
        inner_keys = ", ".join(f"c.{k}" for k in key_refs)
        sql[-1] += (
            f", {h}_sum AS (SELECT {', '.join(key_refs) + ', ' if by else ''}"
            f"array_agg(total ORDER BY bucket) AS {h} FROM ("
            f"SELECT {inner_keys + ', ' if by else ''}u.bucket, sum(u.n)::bigint AS total "
            f"FROM cells c, unnest(c.{h}) WITH ORDINALITY AS u(n, bucket) "
            f"GROUP BY {inner_keys + ', ' if by else ''}u.bucket) b {group})"
        )
        # every key is non-null (rollup key columns are NOT NULL), so plain equality allows hash joins
        on = " AND ".join(f"t.{k} = {h}_sum.{k}" for k in key_refs) or "true"
        joins.append(f"LEFT JOIN {h}_sum ON {on}")
    order = f"ORDER BY {', '.join(f't.{k}' for k in key_refs)}" if by else ""
    hist_select = "".join(f", {h}_sum.{h}" for h in histograms)
    query = "\n".join(sql) + f"\nSELECT t.*{hist_select} FROM totals t {' '.join(joins)} {order}"
    groups = []
    for row in session.execute(text(query), params).mappings():
        if row["executions"] is None:  # no rows at all (aggregate without GROUP BY)
            continue
        groups.append(Group(key={d: row[f"k_{d}"] for d in by}, stats=_stats(row, histograms)))
    return groups


def _stats(row: Any, histograms: Sequence[Histogram]) -> CellStats:
    return CellStats(
        executions=int(row["executions"]),
        accuracy=MeanStats.from_rollup(
            int(row["accuracy_n"]), float(row["accuracy_sum"]), float(row["accuracy_sum_sq"])
        ),
        corrections=int(row["corrections"]),
        failures=int(row["failures"]),
        rating_n=int(row["rating_n"]),
        rating_sum=int(row["rating_sum"]),
        prompt_tokens_sum=int(row["prompt_tokens_sum"]),
        prompt_tokens_max=int(row["prompt_tokens_max"] or 0),
        completion_tokens_sum=int(row["completion_tokens_sum"]),
        latency_ms_sum=float(row["latency_ms_sum"]),
        histograms={h: tuple(int(x) for x in row[h]) for h in histograms if row[h] is not None},
    )


def total(session: Session, scope: Scope, *, histograms: Sequence[Histogram] = ()) -> CellStats:
    """All of the scope's rows summed into one CellStats (empty if there are none)."""
    groups = aggregate(session, scope, histograms=histograms)
    return groups[0].stats if groups else CellStats()
