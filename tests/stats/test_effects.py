import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given
from hypothesis import strategies as st

from core.stats import Code, EffectCell, MeanStats, adjusted_effect, adjusted_effect_from_arrays, welch_test


def _units(seed, n=600, effect=0.3):
    """Three strata with different baselines, noise and inclusion rates (confounded)."""
    rng = np.random.default_rng(seed)
    stratum = rng.integers(0, 3, n)
    included = rng.random(n) < np.array([0.2, 0.5, 0.8])[stratum]
    y = rng.normal(stratum * 1.0 + effect * included, 1.0 + 0.5 * stratum)
    return y, included, stratum


def _cells(y, included, stratum):
    return [
        EffectCell(int(s), bool(g), MeanStats.from_array(y[(stratum == s) & (included == g)]))
        for s in np.unique(stratum)
        for g in (True, False)
    ]


def _dummies(stratum):
    return np.column_stack([(stratum == s).astype(float) for s in np.unique(stratum)[1:]])


def test_rollup_estimate_equals_lins_interacted_regression_with_hc2():
    y, inc, s = _units(3)
    rollup = adjusted_effect(_cells(y, inc, s))
    d = _dummies(s)
    d_c = d - d.mean(axis=0)
    fit = sm.OLS(y, np.column_stack([np.ones(y.size), inc, d_c, d_c * inc[:, None]])).fit(cov_type="HC2")
    assert rollup.effect == pytest.approx(fit.params[1], rel=1e-10)
    # the per-cell variance formula is exactly the HC2 variance of the saturated regression
    arrays = adjusted_effect_from_arrays(y, inc, d)
    assert arrays.effect == pytest.approx(fit.params[1], rel=1e-10)
    assert rollup.std_error == pytest.approx(fit.bse[1], rel=1e-10)
    assert arrays.std_error == pytest.approx(fit.bse[1], rel=1e-10)
    assert (rollup.method, arrays.method) == ("post_stratified", "ols_lin_hc2")
    assert rollup.observational and arrays.observational
    assert (rollup.n_included, rollup.n_excluded) == (int(inc.sum()), int((~inc).sum()))
    assert rollup.naive_effect == pytest.approx(y[inc].mean() - y[~inc].mean())


def test_adjustment_removes_the_confounding_that_the_naive_difference_shows():
    y, inc, s = _units(4, n=3000, effect=0.0)
    res = adjusted_effect(_cells(y, inc, s))
    assert res.naive_effect > 0.5  # inclusion is common where outcomes are high
    assert res.interval.contains(0.0)
    assert res.code is Code.OK


def test_without_covariates_the_array_version_is_welchs_difference():
    y, inc, _ = _units(5)
    res = adjusted_effect_from_arrays(y, inc)
    welch = welch_test(MeanStats.from_array(y[~inc]), MeanStats.from_array(y[inc]))
    assert res.effect == pytest.approx(welch.delta)
    se_welch = math.sqrt(y[inc].var(ddof=1) / inc.sum() + y[~inc].var(ddof=1) / (~inc).sum())
    assert res.std_error == pytest.approx(se_welch, rel=1e-10)  # HC2 with one dummy is Welch's se
    assert res.interval.width == pytest.approx(welch.interval.width, rel=0.01)


def test_strata_with_one_group_are_dropped_and_reported():
    y, inc, s = _units(6)
    cells = [*_cells(y, inc, s), EffectCell("only-included", True, MeanStats.from_array([5.0, 6.0, 7.0]))]
    res = adjusted_effect(cells)
    base = adjusted_effect(_cells(y, inc, s))
    assert res.effect == pytest.approx(base.effect)
    assert (res.strata_used, res.strata_dropped, res.dropped) == (3, 1, ("only-included",))
    assert res.naive_effect != pytest.approx(base.naive_effect)  # the naive difference uses every unit


def test_split_rollups_sum_to_the_same_answer():
    y, inc, s = _units(7)
    whole = adjusted_effect(_cells(y, inc, s))
    halves = adjusted_effect(_cells(y[:300], inc[:300], s[:300]) + _cells(y[300:], inc[300:], s[300:]))
    assert halves.effect == pytest.approx(whole.effect)
    assert halves.p_value == pytest.approx(whole.p_value)


@given(st.integers(0, 10_000))
def test_swapping_the_feature_negates_the_effect(seed):
    y, inc, s = _units(seed, n=120)
    res = adjusted_effect(_cells(y, inc, s))
    flipped = adjusted_effect(_cells(y, ~inc, s))
    assert flipped.code is res.code
    if res.code is Code.OK:
        assert flipped.effect == pytest.approx(-res.effect)
        assert flipped.p_value == pytest.approx(res.p_value)
        assert res.interval.contains(res.effect)


def _confounded_section(rng, effect, units=1500):
    cells = []
    n_easy = rng.binomial(units, 0.5)
    for stratum, n, share, p in (("easy", n_easy, 0.7, 0.85), ("hard", units - n_easy, 0.3, 0.55)):
        n_in = rng.binomial(n, share)
        for included, size, rate in ((True, n_in, p + effect), (False, n - n_in, p)):
            wins = float(rng.binomial(size, rate))
            cells.append(EffectCell(stratum, included, MeanStats(int(size), wins, wins)))
    return adjusted_effect(cells)


def test_confounded_null_section_is_flagged_by_the_naive_rule_but_not_the_adjusted_test():
    rng = np.random.default_rng(12)
    results = [_confounded_section(rng, 0.0) for _ in range(300)]
    naive = np.mean([r.naive_effect > 0.05 for r in results])
    adjusted = np.mean([r.p_value < 0.05 for r in results])
    assert naive > 0.95
    assert adjusted <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 300)  # 0.088
    real = [_confounded_section(rng, 0.1) for _ in range(50)]
    assert np.mean([r.p_value < 0.05 and r.effect > 0 for r in real]) > 0.9


def test_expected_conditions():
    assert adjusted_effect([]).code is Code.EMPTY
    only_one_side = [EffectCell("a", True, MeanStats.from_array([1.0, 2.0]))]
    res = adjusted_effect(only_one_side)
    assert (res.code, res.strata_dropped) == (Code.NO_OVERLAP, 1)
    flat = [EffectCell("a", g, MeanStats.from_array([1.0, 1.0, 1.0])) for g in (True, False)]
    assert adjusted_effect(flat).code is Code.ZERO_VARIANCE
    assert adjusted_effect_from_arrays([], []).code is Code.EMPTY
    assert adjusted_effect_from_arrays([1.0, 2.0, 3.0], [True, False, False]).code is Code.TOO_FEW_SAMPLES
    assert adjusted_effect_from_arrays([2.0] * 6, [True, False] * 3).code is Code.ZERO_VARIANCE
    with pytest.raises(ValueError, match="one row per unit"):
        adjusted_effect_from_arrays([1.0, 2.0], [True])
