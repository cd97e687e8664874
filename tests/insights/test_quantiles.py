"""The p95 with its order-statistic interval, read from a rollup histogram (core.analytics.quantiles)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

from core.analytics.quantiles import quantile_interval
from core.stats import Code
from core.tracking.histogram import histogram


def test_the_interval_covers_the_true_p95_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(11)
    true_p95 = float(sps.lognorm.ppf(0.95, s=0.5, scale=800))
    covered = 0
    reps = 400
    for _ in range(reps):
        estimate = quantile_interval(histogram(rng.lognormal(np.log(800), 0.5, 400).tolist()), 0.95)
        covered += estimate.interval.lower <= true_p95 <= estimate.interval.upper
    assert 0.90 <= covered / reps <= 0.995  # nominal 0.95, plus the histogram's bucket resolution


def test_small_and_empty_histograms() -> None:
    few = quantile_interval(histogram([100.0, 200.0, 300.0]), 0.95)
    assert few.code is Code.TOO_FEW_SAMPLES
    assert few.interval.upper == math.inf  # too few values to bound the p95 from above
    assert quantile_interval([0] * 62, 0.95).code is Code.EMPTY
