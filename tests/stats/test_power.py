import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.power import NormalIndPower, normal_power_het

from core.stats import (
    PropStats,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
    two_proportion_test,
)


@pytest.mark.parametrize(
    ("mde", "sd", "ratio", "alpha"), [(0.03, 0.2, 1.0, 0.05), (0.5, 2.0, 2.0, 0.01), (-0.1, 1.0, 0.5, 0.1)]
)
def test_means_match_statsmodels_normal_ind_power(mde, sd, ratio, alpha):
    size = sample_size_means(mde, sd, alpha=alpha, power=0.8, ratio=ratio)
    ref = NormalIndPower().solve_power(effect_size=abs(mde) / sd, alpha=alpha, power=0.8, ratio=ratio)
    assert size.n_control in (math.ceil(ref), math.ceil(ref) - 1)  # statsmodels also counts the far tail
    assert size.n_treatment == math.ceil(ratio * size.n_control)
    for n in (10, 100, size.n_control):
        expected = NormalIndPower().power(effect_size=mde / sd, nobs1=n, alpha=alpha, ratio=ratio)
        assert power_means(mde, sd, n, alpha=alpha, ratio=ratio) == pytest.approx(expected, rel=1e-9)


def test_textbook_two_sample_size():
    # d = 0.5, α = 0.05, 80 %: 2(z_.975 + z_.8)²/d² = 62.8 → 63 by the normal approximation
    # (Cohen 1988, Table 2.4.1, gives 64 with the t distribution)
    assert sample_size_means(0.5, 1.0).n_control == 63


@pytest.mark.parametrize(("baseline", "mde", "ratio"), [(0.7, 0.03, 1.0), (0.1, 0.02, 3.0), (0.5, -0.1, 1.0)])
def test_proportions_match_statsmodels_heterogeneous_normal_power(baseline, mde, ratio):
    treated = baseline + mde
    std = math.sqrt(baseline * (1 - baseline) + treated * (1 - treated) / ratio)
    for n in (50, 500, 5000):
        expected = normal_power_het(abs(mde), n, 0.05, std_null=std, std_alternative=std)
        assert power_proportions(baseline, mde, n, ratio=ratio) == pytest.approx(expected, rel=1e-9)


def test_proportion_sample_size_gives_the_promised_power_to_the_actual_test():
    size = sample_size_proportions(0.7, 0.03)
    assert size.n_control == 3551
    rng = np.random.default_rng(5)
    reps = 1500
    c = rng.binomial(size.n_control, 0.70, reps)
    t = rng.binomial(size.n_treatment, 0.73, reps)
    hits = sum(
        two_proportion_test(PropStats(size.n_control, int(a)), PropStats(size.n_treatment, int(b))).p_value < 0.05
        for a, b in zip(c, t, strict=True)
    )
    assert hits / reps == pytest.approx(0.80, abs=0.035)  # MCSE ≈ 0.010


@given(st.integers(2, 5000), st.integers(1, 100))
def test_power_grows_with_n(n, extra):
    assert power_means(0.1, 1.0, n + extra) > power_means(0.1, 1.0, n)
    assert power_proportions(0.3, 0.05, n + extra) > power_proportions(0.3, 0.05, n)


def test_unbalanced_allocation_costs_total_sample_size():
    balanced = sample_size_proportions(0.3, 0.05)
    skewed = sample_size_proportions(0.3, 0.05, ratio=3.0)
    assert skewed.n_control < balanced.n_control
    assert skewed.total > balanced.total


def test_invalid_plans_raise():
    with pytest.raises(ValueError, match="baseline"):
        sample_size_proportions(0.98, 0.05)
    with pytest.raises(ValueError, match="minimum detectable effect"):
        sample_size_means(0.0, 1.0)
    with pytest.raises(ValueError, match="power must be"):
        sample_size_means(0.1, 1.0, power=1.2)
    with pytest.raises(ValueError, match="standard deviations"):
        power_means(0.1, -1.0, 10)
