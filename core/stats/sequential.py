"""Always-valid comparisons that may be read after every look (continuous monitoring).

Method: the asymptotic confidence sequence of Waudby-Smith, Arnold, Wu, Howard, Ramdas (2023),
"Time-uniform central limit theory and asymptotic confidence sequences", Ann. Statist. (arXiv
2103.06476v7), eq. (9), as GrowthBook's gbstats implements it (``SequentialTwoSidedTTest``)::

    Δ̂ ± sqrt(V·N) · sqrt( 2(Nρ² + 1) / (N²ρ²) · log( sqrt(Nρ² + 1) / α ) )

where Δ̂ is the difference of means, V the (Welch / unpooled) variance of Δ̂, N = n_c + n_t the
total sample size and ρ the mixing parameter.  It is the two-sided normal-mixture boundary of
Robbins (1970); the mSPRT of Johari, Koomen, Pekelis & Walsh (2022, Oper. Res. 70) with a normal
mixing distribution has the same form.  The always-valid p-value is the smallest α whose sequence
excludes 0 (inverting the display above)::

    p = min(1, sqrt(1 + Nρ²) · exp(−z² · Nρ² / (2(1 + Nρ²)))),   z² = Δ̂² / V

so ``p ≤ α`` exactly when the sequence excludes 0, and P(any look has p ≤ α | no effect) ≤ α
asymptotically, however many looks are taken.

Tuning: ρ sets the total sample size N* at which the sequence is tightest.  The width there is
about 3.0 standard errors at α = 0.05 (vs 1.96 for a fixed-horizon test) and grows slowly away
from it.  We choose ρ from N* with eq. (161) of the same paper (as gbstats):
ρ² = (−2 log α + log(1 − 2 log α)) / N*.  Set N* to the planned total sample size of the
experiment (``horizon_from_plan``); the default, 5000 in total, is gbstats' default tuning.
A wrong N* never breaks validity, only costs power.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from core.stats.compare import fixed_horizon_test
from core.stats.intervals import MIN_N_FOR_VARIANCE, check_level
from core.stats.results import Code, Interval, SequentialResult
from core.stats.sufficient import MeanStats, PropStats, Stats, moments

DEFAULT_HORIZON = 5000.0  # total units (both groups) at which the sequence is tightest; gbstats' default

__all__ = [
    "DEFAULT_HORIZON",
    "always_valid_p_values",
    "confidence_sequence_half_width",
    "fixed_horizon_test",
    "horizon_from_plan",
    "rho_for_horizon",
    "sequential_test",
]


def rho_for_horizon(n_total: float, alpha: float = 0.05) -> float:
    """Mixing parameter ρ making the sequence tightest at ``n_total`` units (both groups together).

    Waudby-Smith et al. (2023), eq. (161); gbstats ``SequentialTwoSidedTTest.rho``.
    """
    if n_total <= 0:
        raise ValueError(f"n_total must be positive, got {n_total}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    log_a = -2.0 * math.log(alpha)
    return math.sqrt((log_a + math.log(log_a + 1.0)) / n_total)


def horizon_from_plan(n_control: float, allocation_ratio: float = 1.0) -> float:
    """Total planned sample size (the tuning N*) from the planned control size and n_t / n_c,
    e.g. ``horizon_from_plan(sample_size_means(...).n_control, ratio)``."""
    if n_control <= 0 or allocation_ratio <= 0:
        raise ValueError("n_control and allocation_ratio must be positive")
    return n_control * (1.0 + allocation_ratio)


def confidence_sequence_half_width(
    var_delta: ArrayLike, n_total: ArrayLike, rho: float, alpha: float
) -> NDArray[np.float64]:
    """Half-width of the asymptotic confidence sequence (eq. 9 of Waudby-Smith et al. 2023).

    Vectorised over looks and replications; ``var_delta`` is the variance of Δ̂ at each look.
    """
    v = np.asarray(var_delta, dtype=np.float64)
    n = np.asarray(n_total, dtype=np.float64)
    c = n * rho**2
    factor = 2.0 * (c + 1.0) / c * (0.5 * np.log1p(c) - math.log(alpha))
    return np.asarray(np.sqrt(v * factor), dtype=np.float64)


def always_valid_p_values(
    delta: ArrayLike, var_delta: ArrayLike, n_total: ArrayLike, rho: float
) -> NDArray[np.float64]:
    """Always-valid p-value at each look (the inversion of the sequence; see module docstring).

    Vectorised; looks with zero variance get p = 1 (no evidence can be read from them).  This is
    the p-value of the look itself; the running minimum over looks is also always valid.
    """
    d = np.asarray(delta, dtype=np.float64)
    v = np.asarray(var_delta, dtype=np.float64)
    c = np.asarray(n_total, dtype=np.float64) * rho**2
    positive = v > 0.0
    z2 = np.where(positive, d * d / np.where(positive, v, 1.0), 0.0)
    log_p = 0.5 * np.log1p(c) - z2 * c / (2.0 * (1.0 + c))
    return np.asarray(np.exp(np.minimum(log_p, 0.0)), dtype=np.float64)


def _look(
    control: Stats, treatment: Stats, rho: float, alpha: float, level: float
) -> tuple[float, Interval, float, Code]:
    n_c, mean_c, var_c = moments(control)
    n_t, mean_t, var_t = moments(treatment)
    delta = mean_t - mean_c
    if n_c == 0 or n_t == 0:
        return delta, Interval.undefined(level), math.nan, Code.EMPTY
    if n_c < MIN_N_FOR_VARIANCE or n_t < MIN_N_FOR_VARIANCE:
        return delta, Interval.undefined(level), math.nan, Code.TOO_FEW_SAMPLES
    var_delta = var_c / n_c + var_t / n_t
    if var_delta == 0.0:
        return delta, Interval.point(delta, level), math.nan, Code.ZERO_VARIANCE
    n_total = n_c + n_t
    half = float(confidence_sequence_half_width(var_delta, n_total, rho, alpha))
    p_value = float(always_valid_p_values(delta, var_delta, n_total, rho))
    return delta, Interval(delta - half, delta + half, level), p_value, Code.OK


def _carry_forward(interval: Interval, p_value: float, previous: SequentialResult) -> tuple[Interval, float]:
    """Running intersection of the sequence and running minimum of the p-value (both stay valid)."""
    if math.isnan(p_value):
        p_value = previous.p_value
    elif not math.isnan(previous.p_value):
        p_value = min(p_value, previous.p_value)
    prev = previous.interval
    if math.isnan(prev.lower) or math.isnan(interval.lower):
        return (prev if math.isnan(interval.lower) else interval), p_value
    lower, upper = max(prev.lower, interval.lower), min(prev.upper, interval.upper)
    if lower > upper:  # disjoint: the data contradict an earlier look; keep the current sequence
        return interval, p_value
    return Interval(lower, upper, interval.level), p_value


def sequential_test(
    control: MeanStats | PropStats,
    treatment: MeanStats | PropStats,
    *,
    level: float = 0.95,
    horizon: float = DEFAULT_HORIZON,
    previous: SequentialResult | None = None,
) -> SequentialResult:
    """Always-valid comparison of treatment − control at the current look.

    ``control`` and ``treatment`` are cumulative sufficient statistics (both MeanStats or both
    PropStats; proportions use the unpooled Bernoulli variance).  ``horizon`` is the tuning N*
    (total units, both groups) — pass the planned total sample size.  ``previous``, the result of
    the preceding look of the same experiment with the same tuning, makes the interval the running
    intersection and the p-value the running minimum, so a look once significant stays so.
    """
    check_level(level)
    if isinstance(control, PropStats) != isinstance(treatment, PropStats):
        raise TypeError("control and treatment must both be MeanStats or both be PropStats")
    alpha = round(1.0 - level, 12)  # 1 - 0.95 is 0.05000000000000004 in binary
    rho = rho_for_horizon(horizon, alpha)
    delta, interval, p_value, code = _look(control, treatment, rho, alpha, level)
    if previous is not None:
        if previous.tuning != horizon or not math.isclose(previous.alpha, alpha):
            raise ValueError("previous look used a different horizon or level; they cannot be chained")
        interval, p_value = _carry_forward(interval, p_value, previous)
    significant = bool(p_value <= alpha) if not math.isnan(p_value) else False
    return SequentialResult(
        delta=delta,
        interval=interval,
        p_value=p_value,
        significant=significant,
        code=code,
        tuning=horizon,
        rho=rho,
        alpha=alpha,
        n_control=control.n,
        n_treatment=treatment.n,
    )
