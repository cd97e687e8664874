import math

import numpy as np
import pytest
from scipy import stats as sps

from core.stats import Code, paired_bootstrap


def _pair(seed, n=60, shift=0.05, noise=0.05):
    rng = np.random.default_rng(seed)
    a = rng.random(n)
    return a, np.clip(a + rng.normal(shift, noise, n), 0.0, 1.0)


@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_matches_scipy_paired_bootstrap_with_the_same_generator(method):
    a, b = _pair(0)
    ours = paired_bootstrap(np.mean, a, b, rng=np.random.default_rng(5), n_resamples=500, method=method)
    ref = sps.bootstrap(
        (a, b),
        lambda x, y: np.mean(y) - np.mean(x),
        paired=True,
        vectorized=False,
        n_resamples=500,
        method="BCa" if method == "bca" else "percentile",
        rng=np.random.default_rng(5),
    )
    assert ours.value == pytest.approx(b.mean() - a.mean())
    assert ours.interval.lower == pytest.approx(ref.confidence_interval.low, rel=1e-12)
    assert ours.interval.upper == pytest.approx(ref.confidence_interval.high, rel=1e-12)
    assert (ours.code, ours.n) == (Code.OK, 60)


def test_mean_difference_interval_is_close_to_the_paired_t_interval():
    a, b = _pair(1, n=400)
    est = paired_bootstrap(np.mean, a, b, rng=np.random.default_rng(2), n_resamples=2000)
    ci = sps.ttest_rel(b, a).confidence_interval()
    assert est.interval.lower == pytest.approx(ci.low, abs=0.1 * (ci.high - ci.low))
    assert est.interval.upper == pytest.approx(ci.high, abs=0.1 * (ci.high - ci.low))


def test_pairing_is_kept():
    # b is a plus a small constant: the paired difference is nearly certain, the unpaired one is not
    a, b = _pair(2, n=100, shift=0.02, noise=0.005)
    est = paired_bootstrap(np.mean, a, b, rng=np.random.default_rng(3), n_resamples=1000)
    unpaired = sps.ttest_ind(b, a).confidence_interval()
    assert est.interval.width < 0.1 * (unpaired.high - unpaired.low)
    assert est.interval.lower > 0.0


def _micro_f1(rows):
    tp, fp, fn = rows.sum(axis=0)
    return 2 * tp / (2 * tp + fp + fn)


def test_works_for_f1_over_per_example_count_rows():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 4, size=(80, 3))
    b = a + np.array([1, 0, 0]) * (rng.random((80, 1)) < 0.5)  # b gains true positives
    est = paired_bootstrap(_micro_f1, a, b, rng=np.random.default_rng(6), n_resamples=800)
    assert est.value == pytest.approx(_micro_f1(b) - _micro_f1(a))
    assert est.interval.contains(est.value)
    assert est.interval.lower > 0.0


def test_same_seed_same_answer_and_seed_matters():
    a, b = _pair(3)
    first = paired_bootstrap(np.median, a, b, rng=np.random.default_rng(9), n_resamples=300)
    again = paired_bootstrap(np.median, a, b, rng=np.random.default_rng(9), n_resamples=300)
    other = paired_bootstrap(np.median, a, b, rng=np.random.default_rng(10), n_resamples=300)
    assert first == again
    assert first.interval != other.interval


def test_expected_conditions():
    rng = np.random.default_rng(0)
    assert paired_bootstrap(np.mean, [], [], rng=rng).code is Code.EMPTY
    few = paired_bootstrap(np.mean, [0.1, 0.2], [0.3, 0.4], rng=rng)
    assert (few.code, few.value) == (Code.TOO_FEW_SAMPLES, pytest.approx(0.2))
    same = paired_bootstrap(np.mean, [0.1, 0.5, 0.9, 0.3], [0.1, 0.5, 0.9, 0.3], rng=rng, n_resamples=100)
    assert (same.code, same.value, same.interval.width) == (Code.ZERO_VARIANCE, 0.0, 0.0)
    assert not math.isnan(same.interval.lower)
    with pytest.raises(ValueError, match="same examples"):
        paired_bootstrap(np.mean, [0.1, 0.2, 0.3], [0.1, 0.2], rng=rng)
