import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.stats import (
    Code,
    MeanStats,
    PropStats,
    always_valid_p_values,
    confidence_sequence_half_width,
    horizon_from_plan,
    rho_for_horizon,
    sequential_test,
    two_proportion_test,
)

props = st.integers(2, 5000).flatmap(lambda n: st.builds(PropStats, st.just(n), st.integers(0, n)))


def test_p_value_equals_the_msprt_with_a_normal_mixture():
    # Johari et al. (2022) mSPRT, mixing N(0, τ²) over the effect: Λ = sqrt(V/(V+τ²))·exp(τ²Δ²/(2V(V+τ²)));
    # the confidence sequence corresponds to τ² = V·N·ρ², and the p-value is 1/Λ
    control, treatment = PropStats(4000, 2800), PropStats(4100, 2960)
    res = sequential_test(control, treatment, horizon=6000)
    v = control.variance / control.n + treatment.variance / treatment.n
    tau2 = v * (control.n + treatment.n) * rho_for_horizon(6000, 0.05) ** 2
    delta = treatment.p - control.p
    lam = math.sqrt(v / (v + tau2)) * math.exp(tau2 * delta**2 / (2 * v * (v + tau2)))
    assert res.p_value == pytest.approx(min(1.0, 1.0 / lam), rel=1e-10)
    assert res.delta == pytest.approx(delta)


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.1])
def test_rho_makes_the_sequence_tightest_near_the_horizon(alpha):
    horizon = 10_000.0
    n = np.linspace(1000, 60_000, 3000)
    # half-width in standard errors of Δ̂ for a fixed per-unit variance: V = 1/n
    z_boundary = confidence_sequence_half_width(1.0 / n, n, rho_for_horizon(horizon, alpha), alpha) * np.sqrt(n)
    assert n[np.argmin(z_boundary)] == pytest.approx(horizon, rel=0.1)


def test_sequence_is_wider_than_the_fixed_horizon_interval_everywhere():
    for n in (20, 200, 2000, 20_000, 200_000):
        seq = sequential_test(PropStats(n, int(0.3 * n)), PropStats(n, int(0.32 * n)))
        fixed = two_proportion_test(PropStats(n, int(0.3 * n)), PropStats(n, int(0.32 * n)))
        assert seq.interval.width > fixed.interval.width
        assert seq.p_value >= fixed.p_value


@given(props, props, st.floats(100, 1e6))
def test_p_value_and_sequence_agree_and_swap_symmetrically(a, b, horizon):
    ab, ba = sequential_test(a, b, horizon=horizon), sequential_test(b, a, horizon=horizon)
    if ab.code is Code.OK:
        assert ab.interval.contains(ab.delta)
        assert 0.0 <= ab.p_value <= 1.0
        if not math.isclose(ab.p_value, 0.05, rel_tol=1e-9):
            assert ab.significant == ab.interval.excludes_zero()
        assert ab.delta == pytest.approx(-ba.delta)
        assert ab.p_value == pytest.approx(ba.p_value)


def test_scalar_api_and_vectorised_kernel_agree():
    c, t = MeanStats.from_array([0.2, 0.5, 0.9, 0.4]), MeanStats.from_array([0.6, 0.7, 0.95, 0.8, 0.9])
    res = sequential_test(c, t, level=0.9, horizon=50)
    v = c.variance / c.n + t.variance / t.n
    rho = rho_for_horizon(50, 0.1)
    assert res.p_value == pytest.approx(float(always_valid_p_values(res.delta, v, 9, rho)))
    half = float(confidence_sequence_half_width(v, 9, rho, 0.1))
    assert (res.interval.lower, res.interval.upper) == pytest.approx((res.delta - half, res.delta + half))
    assert (res.tuning, res.rho, res.alpha) == (50, rho, 0.1)


def test_chaining_looks_keeps_running_minimum_and_intersection():
    first = sequential_test(PropStats(2000, 1400), PropStats(2000, 1520))
    assert first.significant
    later = sequential_test(PropStats(4000, 2800), PropStats(4000, 2830), previous=first)
    alone = sequential_test(PropStats(4000, 2800), PropStats(4000, 2830))
    assert not alone.significant
    assert later.significant
    assert later.p_value == first.p_value
    assert later.interval.lower == max(first.interval.lower, alone.interval.lower)
    assert later.interval.upper == min(first.interval.upper, alone.interval.upper)
    with pytest.raises(ValueError, match="different horizon"):
        sequential_test(PropStats(10, 5), PropStats(10, 6), horizon=99, previous=first)


def test_expected_conditions():
    assert sequential_test(PropStats.empty(), PropStats(10, 3)).code is Code.EMPTY
    assert sequential_test(MeanStats.from_array([1.0]), MeanStats.from_array([1.0, 2.0])).code is Code.TOO_FEW_SAMPLES
    flat = sequential_test(PropStats(30, 30), PropStats(30, 30))
    assert (flat.code, flat.significant) == (Code.ZERO_VARIANCE, False)
    with pytest.raises(TypeError):
        sequential_test(PropStats(10, 3), MeanStats.from_array([1.0, 2.0]))
    with pytest.raises(ValueError, match="n_total must be positive"):
        rho_for_horizon(0)


def test_horizon_from_plan():
    assert horizon_from_plan(1000) == 2000
    assert horizon_from_plan(1000, 0.5) == 1500


def _monitor(rng, effect, reps=200, looks=20, per_look=60):
    """Run `reps` A/B tests on a 0.7 binary metric, read with the public API after every batch."""
    sequential, naive, peeking = 0, 0, 0
    horizon = horizon_from_plan(looks * per_look)
    for _ in range(reps):
        c_wins = np.cumsum(rng.binomial(per_look, 0.7, looks))
        t_wins = np.cumsum(rng.binomial(per_look, 0.7 + effect, looks))
        previous, flags = None, set()
        for k in range(looks):
            n = per_look * (k + 1)
            c, t = PropStats(n, int(c_wins[k])), PropStats(n, int(t_wins[k]))
            previous = sequential_test(c, t, horizon=horizon, previous=previous)
            flags |= {"seq"} if previous.significant else set()
            flags |= {"naive"} if abs(t.p - c.p) > 0.03 and n > 30 else set()
            flags |= {"peek"} if two_proportion_test(c, t).p_value < 0.05 else set()
        sequential += "seq" in flags
        naive += "naive" in flags
        peeking += "peek" in flags
    return sequential / reps, naive / reps, peeking / reps


def test_aa_false_positive_rate_holds_under_continuous_monitoring():
    seq, naive, peeking = _monitor(np.random.default_rng(20240601), effect=0.0)
    # 200 reps: the MCSE at 5 % is 1.5 %, so 0.08 is a loose bound; the rules it replaces blow far past it
    assert seq <= 0.08
    assert naive >= 0.5
    assert peeking >= 0.12


def test_sequential_test_detects_a_real_effect():
    seq, _, _ = _monitor(np.random.default_rng(7), effect=0.08, reps=100)
    assert seq >= 0.9
