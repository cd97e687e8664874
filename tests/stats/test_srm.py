import math

import numpy as np
import pytest
from scipy import stats as sps

from core.stats import Code, srm_test


def test_balanced_counts_do_not_flag():
    res = srm_test([5000, 5000], [0.5, 0.5])
    assert (res.chi2, res.p_value, res.mismatch, res.code) == (0.0, 1.0, False, Code.OK)


def test_48_52_over_20k_is_chi2_32():
    # (9600 − 10000)²/10000 + (10400 − 10000)²/10000 = 32
    res = srm_test([9600, 10400], [1, 1])
    assert res.chi2 == pytest.approx(32.0)
    assert res.p_value == pytest.approx(sps.chi2.sf(32.0, 1))
    assert res.mismatch


def test_unequal_planned_weights_are_normalised():
    observed, weights = [1900, 3050, 5050], [2, 3, 5]
    expected = np.array(weights) / 10 * 10_000
    chi2 = float(((np.array(observed) - expected) ** 2 / expected).sum())
    res = srm_test(observed, weights)
    assert res.chi2 == pytest.approx(chi2)
    assert res.p_value == pytest.approx(sps.chi2.sf(chi2, 2))
    assert res.mismatch == (res.p_value < 0.001)
    assert srm_test(observed, [0.2, 0.3, 0.5]) == res


def test_threshold_is_respected():
    counts = [4900, 5100]  # p ≈ 0.046
    assert srm_test(counts, [1, 1], threshold=0.05).mismatch
    assert not srm_test(counts, [1, 1]).mismatch


def test_units_in_an_arm_planned_at_zero_are_a_mismatch():
    res = srm_test([100, 100, 3], [1, 1, 0])
    assert res.mismatch
    assert math.isinf(res.chi2)
    assert not srm_test([100, 103, 0], [1, 1, 0]).mismatch


def test_expected_conditions():
    assert srm_test([0, 0], [1, 1]).code is Code.EMPTY
    few = srm_test([1, 7], [1, 1])
    assert (few.code, few.mismatch) == (Code.TOO_FEW_SAMPLES, False)
    with pytest.raises(ValueError, match="one observed count"):
        srm_test([10, 10], [1, 1, 1])
    with pytest.raises(ValueError, match="non-negative"):
        srm_test([10, -1], [1, 1])


def test_detection_and_false_alarm_rates_by_simulation():
    rng = np.random.default_rng(8)
    detect = [srm_test([a, 20_000 - a], [1, 1]).mismatch for a in rng.binomial(20_000, 0.48, 300)]
    assert np.mean(detect) >= 0.97
    alarms = [srm_test([a, 20_000 - a], [1, 1], threshold=0.05).mismatch for a in rng.binomial(20_000, 0.5, 2000)]
    assert np.mean(alarms) == pytest.approx(0.05, abs=0.015)
