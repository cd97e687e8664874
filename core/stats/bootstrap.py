"""Paired bootstrap for the difference of a metric between two prompts on the same examples.

Examples, not outputs, are resampled: each bootstrap replicate draws n example indices with
replacement and evaluates ``metric(b[idx]) − metric(a[idx])``, so the pairing (both prompts saw the
same inputs) is kept and any metric over examples works — a mean, a micro-F1 over per-example
(tp, fp, fn) rows, a pass@k.  Resampling and the intervals come from ``scipy.stats.bootstrap``:
percentile, or BCa (Efron 1987, JASA 82:171-185; Efron & Tibshirani 1993, ch. 14), which corrects
for bias and skew and is the default.  Resampling indices (rather than the arrays) lets scipy's
BCa jackknife work for multi-column per-example data too.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

from core.stats.intervals import check_level
from core.stats.results import Code, Estimate, Interval

MIN_EXAMPLES = 3  # the BCa jackknife and any spread need a handful of examples

Metric = Callable[[NDArray[Any]], float]


def paired_bootstrap(
    metric: Metric,
    a: ArrayLike,
    b: ArrayLike,
    *,
    rng: np.random.Generator,
    n_resamples: int = 2000,
    level: float = 0.95,
    method: Literal["bca", "percentile"] = "bca",
) -> Estimate:
    """Estimate of metric(b) − metric(a) with a paired bootstrap interval.

    ``a`` and ``b`` hold one row per example (same order, same examples).  If every replicate
    gives the same difference the interval collapses to the point with ``ZERO_VARIANCE``.  If BCa
    is undefined although replicates vary (a degenerate jackknife), the percentile interval is
    returned instead.
    """
    check_level(level)
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.shape[:1] != b_arr.shape[:1]:
        raise ValueError(f"a and b must hold the same examples, got {a_arr.shape[0]} and {b_arr.shape[0]}")
    n = int(a_arr.shape[0]) if a_arr.ndim else 0
    if n == 0:
        return Estimate(math.nan, Interval.undefined(level), 0, Code.EMPTY)
    value = float(metric(b_arr) - metric(a_arr))
    if n < MIN_EXAMPLES:
        return Estimate(value, Interval.undefined(level), n, Code.TOO_FEW_SAMPLES)

    def difference(idx: NDArray[Any]) -> float:
        rows = idx.astype(np.intp)
        return float(metric(b_arr[rows]) - metric(a_arr[rows]))

    def run(scipy_method: str) -> Any:
        # degenerate replicates are detected below and reported with a code, not a warning
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore", sps.DegenerateDataWarning)
            return sps.bootstrap(
                (np.arange(n),),
                difference,
                n_resamples=n_resamples,
                vectorized=False,
                confidence_level=level,
                method=scipy_method,
                rng=rng,
            )

    result = run("BCa" if method == "bca" else "percentile")
    replicates = np.asarray(result.bootstrap_distribution, dtype=np.float64)
    if np.ptp(replicates) == 0.0:
        return Estimate(value, Interval.point(value, level), n, Code.ZERO_VARIANCE)
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    if math.isnan(low) or math.isnan(high):
        low, high = (float(q) for q in np.quantile(replicates, [0.5 - level / 2.0, 0.5 + level / 2.0]))
    return Estimate(value, Interval(low, high, level), n, Code.OK)
