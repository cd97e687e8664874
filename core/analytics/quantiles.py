"""A quantile read from a rollup histogram, with a distribution-free confidence interval.

The interval is the order-statistic interval for a quantile (Conover 1999, *Practical Nonparametric
Statistics*, 3rd ed., §3.2; Hahn & Meeker 1991, *Statistical Intervals*, §5.2): with X ~ Bin(n, q)
the ranks l = Bin⁻¹(α/2) and u = Bin⁻¹(1 − α/2) + 1 bracket the q-quantile with probability
≥ 1 − α, whatever the distribution. The values at those ranks are read from the log-scale histogram
like any percentile, so each bound carries the histogram's own ±12 % resolution on top.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats as sps

from core.stats import Code, Estimate, Interval
from core.tracking.histogram import percentile


def quantile_interval(hist: Sequence[int], q: float, *, level: float = 0.95) -> Estimate:
    """The ``q``-quantile of the values counted in ``hist`` with its ``level`` interval."""
    n = int(sum(hist))
    if n == 0:
        return Estimate(math.nan, Interval.undefined(level), 0, Code.EMPTY)
    point = percentile(hist, q)
    assert point is not None  # n > 0
    alpha = 1.0 - level
    lower_rank = int(sps.binom.ppf(alpha / 2, n, q))
    upper_rank = int(sps.binom.ppf(1 - alpha / 2, n, q)) + 1
    if lower_rank < 1 or upper_rank > n:
        # too few values for a two-sided interval at this level: the open side is unbounded
        lower = percentile(hist, lower_rank / n) if lower_rank >= 1 else 0.0
        upper = percentile(hist, upper_rank / n) if upper_rank <= n else math.inf
        return Estimate(point, Interval(lower or 0.0, upper or math.inf, level), n, Code.TOO_FEW_SAMPLES)
    lower = percentile(hist, lower_rank / n)
    upper = percentile(hist, upper_rank / n)
    assert lower is not None
    assert upper is not None
    return Estimate(point, Interval(lower, upper, level), n, Code.OK)
