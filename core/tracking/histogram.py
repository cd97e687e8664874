"""The fixed log-scale histograms of the rollups (latency, prompt tokens), and percentiles read from them.

The buckets are unit-agnostic: edges are ``10 ** (k / 10)`` for k = 0..60, i.e. ten buckets per
decade from 1 to 1 000 000 (milliseconds for latency, tokens for prompt tokens); each bucket is
25.9 % wide, so a percentile read from the histogram is within about ±12 % of the exact value
(geometric interpolation inside the bucket).

* bucket 0: [0, 1)
* bucket k, 1 <= k <= 60: [10 ** ((k - 1) / 10), 10 ** (k / 10))
* bucket 61: [1 000 000, +inf) — percentiles falling here are reported as 1 000 000

The edges never change: rollups of different hours, versions and segments add bucket by bucket.

Rollups keep three such histograms per cell and hour: ``latency_hist`` (ms), ``prompt_tokens_hist``
(all executions) and ``prompt_tokens_hist_high`` (executions whose effective accuracy is at least
:data:`HIGH_ACCURACY`): the token budget a prompt needs when it works well is read from the last.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

PER_DECADE = 10
DECADES = 6
EDGES: tuple[float, ...] = tuple(10 ** (k / PER_DECADE) for k in range(PER_DECADE * DECADES + 1))
N_BUCKETS = len(EDGES) + 1  # 62: underflow, 60 log buckets, overflow
_LAST = N_BUCKETS - 1

# Effective accuracy at or above which an execution counts as "high accuracy" in
# ``prompt_tokens_hist_high``. 0.9 is "right, or nearly": a correction keeping >= 90 % of the text,
# a quality score >= 0.9, a 5-star rating (4 stars are 0.75), or an uncontradicted success.
HIGH_ACCURACY = 0.9


def bucket(value: float) -> int:
    """Index of the bucket holding ``value`` (mirrors :data:`BUCKET_SQL`)."""
    if value < 1:
        return 0
    return min(_LAST, math.floor(PER_DECADE * math.log10(value)) + 1)


# The same function in SQL, for the rollup refresh; ``{x}`` is a float8 expression.
BUCKET_SQL = f"CASE WHEN {{x}} < 1 THEN 0 ELSE least({_LAST}, floor({PER_DECADE} * log({{x}}))::integer + 1) END"

# Latency names (ms), kept for the callers that read latency histograms.
LATENCY_EDGES_MS = EDGES
LATENCY_BUCKET_SQL = BUCKET_SQL
latency_bucket = bucket


def bucket_bounds(index: int) -> tuple[float, float]:
    """[lower, upper) of a bucket; the overflow bucket's upper bound is +inf."""
    if index == 0:
        return 0.0, EDGES[0]
    if index == _LAST:
        return EDGES[-1], math.inf
    return EDGES[index - 1], EDGES[index]


def histogram(values: Sequence[float]) -> list[int]:
    """The dense histogram of ``values`` (mostly for tests and small in-memory data)."""
    counts = [0] * N_BUCKETS
    for value in values:
        counts[bucket(value)] += 1
    return counts


def _check(hist: Sequence[int]) -> None:
    if len(hist) != N_BUCKETS:
        raise ValueError(f"a rollup histogram has {N_BUCKETS} buckets, got {len(hist)}")


def add_histograms(histograms: Sequence[Sequence[int]]) -> list[int]:
    """Bucket-by-bucket sum of histograms (e.g. the hours of one day)."""
    total = [0] * N_BUCKETS
    for hist in histograms:
        _check(hist)
        for i, count in enumerate(hist):
            total[i] += count
    return total


def percentile(hist: Sequence[int], q: float) -> float | None:
    """The ``q``-quantile (0 <= q <= 1) of the values counted in ``hist``; None if it is empty.

    Finds the bucket holding rank ``q * n`` and interpolates inside it: linearly in the first
    bucket (it starts at 0), geometrically in the log buckets (uniform in log-value, the
    assumption behind log-scale buckets, as in HdrHistogram and Prometheus native histograms).
    """
    if not 0 <= q <= 1:
        raise ValueError(f"q must be in [0, 1], got {q}")
    _check(hist)
    total = sum(hist)
    if total <= 0:
        return None
    target = q * total
    cumulative = 0
    for index, count in enumerate(hist):
        if count <= 0:
            continue
        if cumulative + count >= target:
            lower, upper = bucket_bounds(index)
            fraction = (target - cumulative) / count
            if index == 0:
                return lower + fraction * (upper - lower)
            if index == _LAST:
                return lower
            return float(lower * (upper / lower) ** fraction)
        cumulative += count
    return bucket_bounds(_LAST)[0]  # pragma: no cover - unreachable: target <= total
