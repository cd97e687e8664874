"""Slope of a (daily) series per step, with an interval.

Default ``theil_sen``: the median of pairwise slopes (Theil 1950; Sen 1968, JASA 63:1379-1389) via
``scipy.stats.theilslopes``, with Sen's distribution-free interval and the Mann–Kendall p-value
(Kendall's tau of value against time, ``scipy.stats.kendalltau``).  Chosen because daily LLM
metrics have outlier days (incidents, a bulk backfill, a holiday) that can swing an OLS slope
arbitrarily, whereas Theil–Sen tolerates ~29 % of outliers.  Its interval assumes independent
residuals; when the series is strongly autocorrelated use ``ols_hac``: OLS with Newey–West HAC
standard errors (Newey & West 1987, Econometrica 55; lag length floor(4·(n/100)^(2/9)) as in
Newey & West 1994), via statsmodels, which is valid under autocorrelation but not robust to
outliers.  Missing values (nan) are dropped; their steps still count in the time axis.

Neither interval is exact under strong autocorrelation.  Coverage of nominal 95 % intervals,
measured on a linear trend plus AR(1) noise (300 series each):

    n = 60:   φ = 0: Theil–Sen 0.96, OLS-HAC 0.90 | φ = 0.5: 0.73, 0.80 | φ = 0.8: 0.49, 0.62
    n = 200:  φ = 0: Theil–Sen 0.94, OLS-HAC 0.91 | φ = 0.5: 0.78, 0.90 | φ = 0.8: 0.54, 0.75

so a trend is a description to look at, not a decision rule; decisions go through experiments.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import statsmodels.api as sm
from numpy.typing import ArrayLike
from scipy import stats as sps

from core.stats.intervals import check_level
from core.stats.results import Code, Interval, TrendResult

MIN_POINTS = 3
THEIL_SEN = "theil_sen"
OLS_HAC = "ols_hac"


def _newey_west_lags(n: int) -> int:
    return int(4.0 * (n / 100.0) ** (2.0 / 9.0))  # floor, n > 0


def trend_slope(
    values: ArrayLike,
    *,
    level: float = 0.95,
    method: Literal["theil_sen", "ols_hac"] = "theil_sen",
) -> TrendResult:
    """Slope per step of ``values`` (index = time) with a ``level`` interval and a p-value."""
    check_level(level)
    y_all = np.asarray(values, dtype=np.float64).ravel()
    steps = np.flatnonzero(np.isfinite(y_all)).astype(np.float64)
    y = y_all[np.isfinite(y_all)]
    n = int(y.size)
    if n == 0:
        return TrendResult(math.nan, Interval.undefined(level), Code.EMPTY, method, math.nan, 0)
    if n < MIN_POINTS:
        return TrendResult(math.nan, Interval.undefined(level), Code.TOO_FEW_SAMPLES, method, math.nan, n)
    if np.ptp(y) == 0.0:
        return TrendResult(0.0, Interval.point(0.0, level), Code.ZERO_VARIANCE, method, math.nan, n)
    if method == THEIL_SEN:
        res = sps.theilslopes(y, steps, alpha=level)
        p_value = float(sps.kendalltau(steps, y).pvalue)
        interval = Interval(float(res.low_slope), float(res.high_slope), level)
        return TrendResult(float(res.slope), interval, Code.OK, method, p_value, n)
    if method == OLS_HAC:
        fit = sm.OLS(y, sm.add_constant(steps)).fit(cov_type="HAC", cov_kwds={"maxlags": _newey_west_lags(n)})
        low, high = np.asarray(fit.conf_int(alpha=1.0 - level))[1]
        slope, p_value = float(fit.params[1]), float(fit.pvalues[1])
        return TrendResult(slope, Interval(float(low), float(high), level), Code.OK, method, p_value, n)
    raise ValueError(f"unknown trend method {method!r}")
