"""Single-group intervals: Wilson for proportions, Student t for means."""

from __future__ import annotations

import math

from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from core.stats.results import Code, Estimate, Interval
from core.stats.sufficient import MeanStats, PropStats

MIN_N_FOR_VARIANCE = 2


def check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")


def wilson_interval(stats: PropStats, level: float = 0.95) -> Estimate:
    """Wilson score interval for a binomial proportion.

    Wilson (1927), "Probable inference, the law of succession, and statistical inference", JASA 22;
    method 3 in Newcombe (1998), Stat Med 17:857-872.  It stays inside [0, 1] and keeps close to
    nominal coverage at small n and extreme p, where the Wald interval does not (Brown, Cai &
    DasGupta 2001).  Computed by ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
    """
    check_level(level)
    if stats.n == 0:
        return Estimate(math.nan, Interval.undefined(level), 0, Code.EMPTY)
    lower, upper = proportion_confint(stats.successes, stats.n, alpha=1.0 - level, method="wilson")
    # the bounds are exactly 0 at k = 0 and 1 at k = n; rounding may miss them by an ulp
    lower = 0.0 if stats.successes == 0 else float(lower)
    upper = 1.0 if stats.successes == stats.n else float(upper)
    return Estimate(stats.p, Interval(lower, upper, level), stats.n, Code.OK)


def t_interval(stats: MeanStats, level: float = 0.95) -> Estimate:
    """Student t interval for a mean: x̄ ± t_{n−1, 1−α/2} · s/√n (any statistics textbook,
    e.g. Casella & Berger 2002 §9.2; scipy.stats.t.interval gives the same numbers)."""
    check_level(level)
    if stats.n == 0:
        return Estimate(math.nan, Interval.undefined(level), 0, Code.EMPTY)
    if stats.n < MIN_N_FOR_VARIANCE:
        return Estimate(stats.mean, Interval.undefined(level), stats.n, Code.TOO_FEW_SAMPLES)
    if stats.variance == 0.0:
        return Estimate(stats.mean, Interval.point(stats.mean, level), stats.n, Code.ZERO_VARIANCE)
    half = float(sps.t.ppf(0.5 + level / 2.0, stats.n - 1)) * stats.std / math.sqrt(stats.n)
    return Estimate(stats.mean, Interval(stats.mean - half, stats.mean + half, level), stats.n, Code.OK)
