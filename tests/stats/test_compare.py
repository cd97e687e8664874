import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats import proportion as smp

from core.stats import Code, MeanStats, PropStats, fixed_horizon_test, two_proportion_test, welch_test

# R's `sleep` data (Cushny & Peebles 1905): t.test(extra ~ group, data = sleep) prints
# t = -1.8608, df = 17.776, p-value = 0.07939, 95% CI -3.3654832 0.2054832 (group 1 − group 2)
SLEEP_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]

props = st.integers(2, 3000).flatmap(lambda n: st.builds(PropStats, st.just(n), st.integers(0, n)))


def test_welch_matches_r_sleep_example():
    res = welch_test(MeanStats.from_array(SLEEP_2), MeanStats.from_array(SLEEP_1))
    assert res.delta == pytest.approx(-1.58)
    assert res.p_value == pytest.approx(0.07939, abs=5e-6)
    assert res.interval.lower == pytest.approx(-3.3654832, abs=1e-6)
    assert res.interval.upper == pytest.approx(0.2054832, abs=1e-6)


@pytest.mark.parametrize("seed", range(5))
def test_welch_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    control, treatment = rng.normal(0, 1, 30 + seed), rng.normal(0.4, 2.5, 80)
    res = welch_test(MeanStats.from_array(control), MeanStats.from_array(treatment), level=0.9)
    ref = sps.ttest_ind(treatment, control, equal_var=False)
    ci = ref.confidence_interval(0.9)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-8)
    assert (res.interval.lower, res.interval.upper) == pytest.approx((ci.low, ci.high), rel=1e-8)
    assert res.code is Code.OK
    assert (res.n_control, res.n_treatment) == (control.size, 80)


@pytest.mark.parametrize(("c", "t"), [((700, 1000), (730, 1000)), ((12, 40), (25, 45)), ((990, 1000), (999, 1001))])
def test_two_proportions_match_statsmodels_wald(c, t):
    res = two_proportion_test(PropStats(c[1], c[0]), PropStats(t[1], t[0]))
    ref = smp.test_proportions_2indep(t[0], t[1], c[0], c[1], method="wald", compare="diff")
    low, high = smp.confint_proportions_2indep(t[0], t[1], c[0], c[1], method="wald", compare="diff")
    assert res.delta == pytest.approx(t[0] / t[1] - c[0] / c[1])
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert (res.interval.lower, res.interval.upper) == pytest.approx((low, high), rel=1e-9)


def test_relative_interval_agrees_with_log_ratio_interval_at_large_n():
    # both are first-order correct, so they converge; a wrong delta-method variance would not
    res = two_proportion_test(PropStats(40_000, 28_000), PropStats(40_000, 28_600))
    low, high = smp.confint_proportions_2indep(28_600, 40_000, 28_000, 40_000, method="log", compare="ratio")
    assert res.relative_lift == pytest.approx(28_600 / 28_000 - 1)
    assert res.relative_interval.lower == pytest.approx(low - 1, abs=5e-4)
    assert res.relative_interval.upper == pytest.approx(high - 1, abs=5e-4)


def test_relative_interval_for_means_covers_at_nominal_rate():
    rng = np.random.default_rng(11)
    reps, covered = 400, 0
    for _ in range(reps):
        c, t = rng.gamma(4.0, 0.5, 150), rng.gamma(4.0, 0.55, 150)  # true lift +10 %
        covered += welch_test(MeanStats.from_array(c), MeanStats.from_array(t)).relative_interval.contains(0.1)
    assert 0.92 <= covered / reps <= 0.98


@given(props, props)
def test_swapping_groups_negates_the_comparison(a, b):
    ab, ba = two_proportion_test(a, b), two_proportion_test(b, a)
    assert ab.code is ba.code
    if ab.code is Code.OK:
        assert ab.delta == pytest.approx(-ba.delta)
        assert ab.interval.lower == pytest.approx(-ba.interval.upper)
        assert ab.p_value == pytest.approx(ba.p_value)


@given(st.lists(st.floats(-50, 50), min_size=2, max_size=25), st.lists(st.floats(-50, 50), min_size=2, max_size=25))
def test_interval_contains_delta_and_agrees_with_p_value(a, b):
    res = welch_test(MeanStats.from_array(a), MeanStats.from_array(b))
    if res.code is Code.OK:
        assert res.interval.contains(res.delta)
        assert 0.0 <= res.p_value <= 1.0
        if abs(res.p_value - 0.05) > 1e-9:
            assert (res.p_value < 0.05) == res.interval.excludes_zero()


@given(st.integers(20, 400), st.integers(2, 5))
def test_interval_shrinks_with_n(n, factor):
    small = two_proportion_test(PropStats(n, n // 2), PropStats(n, n // 3))
    large = two_proportion_test(PropStats(n * factor, factor * (n // 2)), PropStats(n * factor, factor * (n // 3)))
    assert large.interval.width < small.interval.width


def test_expected_conditions():
    empty = welch_test(MeanStats.empty(), MeanStats.from_array([1.0, 2.0]))
    assert empty.code is Code.EMPTY
    assert math.isnan(empty.p_value)
    assert two_proportion_test(PropStats(1, 1), PropStats(10, 3)).code is Code.TOO_FEW_SAMPLES
    flat = two_proportion_test(PropStats(50, 50), PropStats(60, 60))
    assert (flat.code, flat.delta, flat.interval.width) == (Code.ZERO_VARIANCE, 0.0, 0.0)
    zero_base = welch_test(MeanStats.from_array([0.0, 1.0, -1.0]), MeanStats.from_array([1.0, 2.0, 3.0]))
    assert zero_base.code is Code.OK
    assert math.isnan(zero_base.relative_lift)
    assert math.isnan(zero_base.relative_interval.lower)


def test_fixed_horizon_test_dispatches_on_metric_kind():
    assert fixed_horizon_test(PropStats(100, 50), PropStats(100, 60)).method == "two_proportion_z"
    m = MeanStats.from_array([0.1, 0.2, 0.4])
    assert fixed_horizon_test(m, m).method == "welch_t"
    with pytest.raises(TypeError):
        fixed_horizon_test(m, PropStats(10, 2))
