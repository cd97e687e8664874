import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from core.stats import Code, MeanStats, PropStats, t_interval, wilson_interval


@pytest.mark.parametrize(
    ("successes", "n", "lower", "upper"),
    [
        # Newcombe (1998) Stat Med 17:857-872, Table II, method 3 (Wilson score, no correction)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_matches_newcombe_1998(successes, n, lower, upper):
    est = wilson_interval(PropStats(n, successes))
    assert est.code is Code.OK
    assert est.interval.lower == pytest.approx(lower, abs=5e-5)
    assert est.interval.upper == pytest.approx(upper, abs=5e-5)


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))), st.sampled_from([0.8, 0.95]))
def test_wilson_agrees_with_scipy_and_contains_estimate(n_k, level):
    n, k = n_k
    est = wilson_interval(PropStats(n, k), level)
    ref = sps.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    assert est.interval.lower == pytest.approx(ref.low, abs=1e-9)
    assert est.interval.upper == pytest.approx(ref.high, abs=1e-9)
    assert 0.0 <= est.interval.lower <= est.value <= est.interval.upper <= 1.0


@given(st.integers(2, 200), st.integers(1, 9))
def test_wilson_width_shrinks_as_n_grows_at_fixed_rate(n, tenths):
    small = wilson_interval(PropStats(10 * n, tenths * n))
    large = wilson_interval(PropStats(20 * n, 2 * tenths * n))
    assert large.interval.width < small.interval.width


def test_t_interval_matches_scipy():
    x = np.random.default_rng(3).gamma(2.0, 1.5, 40)
    est = t_interval(MeanStats.from_array(x), 0.9)
    low, high = sps.t.interval(0.9, 39, loc=x.mean(), scale=sps.sem(x))
    assert est.interval.lower == pytest.approx(low, rel=1e-10)
    assert est.interval.upper == pytest.approx(high, rel=1e-10)
    assert est.n == 40


@given(st.lists(st.floats(-100, 100), min_size=2, max_size=30), st.integers(2, 4))
def test_t_interval_contains_mean_and_shrinks_with_replication(values, copies):
    base = t_interval(MeanStats.from_array(values))
    if base.code is Code.OK:
        assert base.interval.contains(base.value)
        repeated = t_interval(MeanStats.from_array(values * copies))
        assert repeated.interval.width < base.interval.width


def test_expected_conditions_are_codes_not_exceptions():
    assert wilson_interval(PropStats.empty()).code is Code.EMPTY
    assert t_interval(MeanStats.empty()).code is Code.EMPTY
    one = t_interval(MeanStats.from_array([0.4]))
    assert (one.code, one.value) == (Code.TOO_FEW_SAMPLES, 0.4)
    assert math.isnan(one.interval.lower)
    flat = t_interval(MeanStats.from_array([0.5, 0.5, 0.5]))
    assert flat.code is Code.ZERO_VARIANCE
    assert flat.interval.width == 0.0


def test_invalid_level_raises():
    with pytest.raises(ValueError, match="level must be in"):
        wilson_interval(PropStats(10, 3), level=95)
