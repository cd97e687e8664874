import numpy as np
import pytest
import statsmodels.api as sm

from core.stats import Code, trend_slope


def test_theil_sen_ignores_gross_outliers():
    t = np.arange(40.0)
    y = 2.0 + 0.5 * t
    y[[33, 36, 39]] += 60.0  # incident days late in the series
    res = trend_slope(y)
    assert res.method == "theil_sen"
    assert res.slope_per_step == pytest.approx(0.5)
    assert res.interval.contains(0.5)
    assert abs(np.polyfit(t, y, 1)[0] - 0.5) > 0.2  # whereas least squares is dragged away


def test_interval_covers_the_true_slope_at_roughly_the_nominal_rate():
    rng = np.random.default_rng(0)
    t = np.arange(30.0)
    covered = sum(trend_slope(0.1 * t + rng.normal(0, 1, 30)).interval.contains(0.1) for _ in range(200))
    assert 0.90 <= covered / 200 <= 0.99


def test_flat_noise_is_not_a_trend_and_a_real_trend_is():
    rng = np.random.default_rng(1)
    flat = trend_slope(rng.normal(5.0, 1.0, 60))
    assert flat.p_value > 0.05
    assert flat.interval.contains(0.0)
    rising = trend_slope(0.05 * np.arange(60) + rng.normal(5.0, 1.0, 60))
    assert rising.p_value < 0.01
    assert rising.interval.lower > 0.0


def _ar1(rng, n, phi):
    e = np.zeros(n)
    e[0] = rng.normal() / np.sqrt(1 - phi**2)
    for i in range(1, n):
        e[i] = phi * e[i - 1] + rng.normal()
    return e


def test_ols_hac_slope_is_least_squares_with_wider_errors_under_autocorrelation():
    rng = np.random.default_rng(2)
    t = np.arange(120.0)
    ratios = []
    for _ in range(30):
        y = 0.01 * t + _ar1(rng, t.size, 0.5)
        res = trend_slope(y, method="ols_hac", level=0.9)
        assert res.slope_per_step == pytest.approx(np.polyfit(t, y, 1)[0], rel=1e-9)
        assert res.interval.level == 0.9
        naive = sm.OLS(y, sm.add_constant(t)).fit().conf_int(0.1)[1]
        ratios.append(res.interval.width / (naive[1] - naive[0]))
    # the true inflation for AR(1) with φ = 0.5 is √3 ≈ 1.7; iid-error intervals ignore it
    assert np.mean(ratios) > 1.2


def test_missing_days_keep_their_place_on_the_time_axis():
    y = 1.0 + 0.25 * np.arange(20.0)
    y[[3, 4, 11]] = np.nan
    for method in ("theil_sen", "ols_hac"):
        res = trend_slope(y, method=method)
        assert res.slope_per_step == pytest.approx(0.25)
        assert res.n == 17


def test_expected_conditions():
    assert trend_slope([]).code is Code.EMPTY
    assert trend_slope([1.0, np.nan, 2.0]).code is Code.TOO_FEW_SAMPLES
    flat = trend_slope([3.0] * 10)
    assert (flat.code, flat.slope_per_step, flat.interval.width) == (Code.ZERO_VARIANCE, 0.0, 0.0)
    with pytest.raises(ValueError, match="unknown trend method"):
        trend_slope([1.0, 2.0, 4.0], method="lowess")
