import math

import numpy as np
import pytest
from scipy import stats as sps

from core.stats import robust_anomalies, robust_z_scores


def _series(seed, n=90):
    return 100.0 + np.random.default_rng(seed).normal(0.0, 2.0, n)


def test_spike_and_dip_are_flagged_against_the_trailing_history_only():
    x = _series(0)
    x[60], x[75] = 130.0, 70.0
    points = robust_anomalies(x)
    assert [(p.index, p.direction) for p in points] == [(60, "high"), (75, "low")]
    history = x[60 - 28 : 60]  # the 28 points before, not the point itself
    spike = points[0]
    assert spike.expected == pytest.approx(np.median(history))
    scale = sps.median_abs_deviation(history, scale="normal")  # MAD / Φ⁻¹(3/4) = 1.4826·MAD
    assert spike.robust_z == pytest.approx((130.0 - np.median(history)) / scale, rel=1e-4)
    assert spike.value == 130.0


def test_false_alarm_rate_on_gaussian_noise_with_a_full_window():
    # 1.4826·MAD estimates σ; with 28 points of history the per-point rate of |z| > 3.5 is ~0.6 %
    # (the noisy scale makes it heavier-tailed than the normal's 0.05 %).  An unscaled MAD would
    # put it near 3 %.
    noise = np.random.default_rng(1).normal(0.0, 1.0, (300, 60))
    z = np.array([robust_z_scores(row)[1][28:] for row in noise])
    assert 0.001 < np.mean(np.abs(z) > 3.5) < 0.012


def test_threshold_matters():
    x = _series(1)
    x[50] = np.median(x[22:50]) + 5.5  # 2.75 σ above the history's median
    assert 50 not in [p.index for p in robust_anomalies(x)]
    assert 50 in [p.index for p in robust_anomalies(x, threshold=2.0)]


def test_points_without_enough_history_are_not_scored():
    x = _series(2, 20)
    x[3] = 1000.0
    _, z = robust_z_scores(x, min_history=7)
    assert np.isnan(z[:7]).all()
    assert not np.isnan(z[7:]).any()
    assert robust_anomalies(x) == []


def test_weekday_seasonality():
    # bounded, evenly spread jitter keeps short same-weekday histories well scaled; the effect of
    # noisy scales on false alarms is checked separately above
    k = np.arange(84)
    jitter = ((k * 37) % 11 - 5) / 5.0
    x = np.tile([100.0, 102, 101, 99, 100, 60, 58], 12) + jitter  # weekends are quiet
    x[71] += 15.0  # a spike on a weekday (index 71 = day 1 of week 10)
    plain = robust_anomalies(x)
    assert sum(p.direction == "low" for p in plain) >= 10  # every weekend day looks anomalous
    seasonal = robust_anomalies(x, by_weekday=True, window=8, min_history=4)
    assert [(p.index, p.direction) for p in seasonal] == [(71, "high")]
    explicit = robust_anomalies(x, by_weekday=True, weekdays=k % 7, window=8, min_history=4)
    assert explicit == seasonal
    shifted = robust_anomalies(x, by_weekday=True, weekdays=(k + 3) % 7, window=8, min_history=4)
    assert shifted == seasonal  # only the grouping matters, not the labels


def test_zero_mad_falls_back_to_mean_absolute_deviation_then_to_infinity():
    x = np.array([0.0] * 10 + [1.0, 0.0, 0.0, 0.0] + [0.0])  # MAD of the history is 0
    _, z = robust_z_scores(np.r_[x, 5.0], min_history=7)
    history = x
    mean_ad = np.mean(np.abs(history - 0.0))
    assert z[-1] == pytest.approx(5.0 / (1.253314 * mean_ad))
    constant = np.r_[np.full(10, 3.0), 3.0, 3.5]
    _, zc = robust_z_scores(constant, min_history=7)
    assert zc[10] == 0.0
    assert math.isinf(zc[11]) and zc[11] > 0
    assert [p.index for p in robust_anomalies(constant)] == [11]


def test_missing_values_are_skipped():
    x = _series(4, 60)
    x[[10, 20, 45]] = np.nan
    x[50] = 140.0
    points = robust_anomalies(x)
    assert [p.index for p in points] == [50]
    _, z = robust_z_scores(x)
    assert np.isnan(z[45])


def test_level_shift_becomes_the_new_normal_after_the_window():
    x = np.r_[_series(5, 40), _series(6, 60) + 50.0]
    flagged = [p.index for p in robust_anomalies(x, window=14)]
    assert 40 in flagged
    assert all(i < 40 + 14 for i in flagged)


def test_invalid_window_raises():
    with pytest.raises(ValueError, match="min_history"):
        robust_z_scores([1.0, 2.0], window=5, min_history=6)
