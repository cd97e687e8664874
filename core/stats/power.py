"""Power and sample size for a minimum detectable effect (two-sided, normal approximation).

The formulas match the tests this package runs: Welch's test for means and the unpooled
two-proportion z test for proportions.  With Δ the MDE, r = n_t / n_c and σ_Δ the standard error
of the difference (Chow, Shao & Wang 2008, "Sample Size Calculations in Clinical Research",
§3.2 and §4.2)::

    power = Φ(|Δ|/σ_Δ − z_{1−α/2}) + Φ(−|Δ|/σ_Δ − z_{1−α/2})
    n_c   = (z_{1−α/2} + z_{power})² · (σ_c² + σ_t²/r) / Δ²,    n_t = r · n_c

(the second term of the power, the wrong-direction rejections, is dropped when solving for n,
as is conventional; statsmodels' ``NormalIndPower`` keeps it and so may differ by one unit).
For means at small n the t distribution makes the true power slightly lower; add a few units
below n ≈ 30.  These are fixed-horizon sizes: an always-valid sequential test run to 2× this n
has comparable power (see bench/stats_sim.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats as sps


@dataclass(frozen=True, slots=True)
class SampleSize:
    n_control: int
    n_treatment: int

    @property
    def total(self) -> int:
        return self.n_control + self.n_treatment


def _check(alpha: float, ratio: float, mde: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if ratio <= 0.0:
        raise ValueError(f"allocation ratio n_t/n_c must be positive, got {ratio}")
    if mde == 0.0 or not math.isfinite(mde):
        raise ValueError("the minimum detectable effect must be a non-zero finite number")


def _power(mde: float, unit_vars: tuple[float, float], n_control: float, *, ratio: float, alpha: float) -> float:
    unit_var_c, unit_var_t = unit_vars
    se = math.sqrt(unit_var_c / n_control + unit_var_t / (ratio * n_control))
    z_crit = float(sps.norm.ppf(1.0 - alpha / 2.0))
    shift = abs(mde) / se
    return float(sps.norm.cdf(shift - z_crit) + sps.norm.cdf(-shift - z_crit))


def _size(mde: float, unit_vars: tuple[float, float], *, power: float, ratio: float, alpha: float) -> SampleSize:
    unit_var_c, unit_var_t = unit_vars
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power}")
    z_sum = float(sps.norm.ppf(1.0 - alpha / 2.0) + sps.norm.ppf(power))
    n_c = math.ceil(z_sum**2 * (unit_var_c + unit_var_t / ratio) / mde**2)
    return SampleSize(n_c, math.ceil(ratio * n_c))


def _proportion_variances(baseline: float, mde: float) -> tuple[float, float]:
    treated = baseline + mde
    if not (0.0 < baseline < 1.0 and 0.0 < treated < 1.0):
        raise ValueError(f"baseline and baseline + mde must lie in (0, 1), got {baseline} and {treated}")
    return baseline * (1.0 - baseline), treated * (1.0 - treated)


def sample_size_means(
    mde: float,
    sd: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    sd_treatment: float | None = None,
) -> SampleSize:
    """Units per group to detect a difference of means ``mde`` with the given power."""
    _check(alpha, ratio, mde)
    sd_t = sd if sd_treatment is None else sd_treatment
    if sd <= 0.0 or sd_t <= 0.0:
        raise ValueError("standard deviations must be positive")
    return _size(mde, (sd**2, sd_t**2), power=power, ratio=ratio, alpha=alpha)


def power_means(
    mde: float,
    sd: float,
    n_control: int,
    *,
    alpha: float = 0.05,
    ratio: float = 1.0,
    sd_treatment: float | None = None,
) -> float:
    """Power of the two-sided test of means with ``n_control`` and ``ratio·n_control`` units."""
    _check(alpha, ratio, mde)
    sd_t = sd if sd_treatment is None else sd_treatment
    if sd <= 0.0 or sd_t <= 0.0 or n_control <= 0:
        raise ValueError("standard deviations and n_control must be positive")
    return _power(mde, (sd**2, sd_t**2), n_control, ratio=ratio, alpha=alpha)


def sample_size_proportions(
    baseline: float, mde: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> SampleSize:
    """Units per group to detect baseline → baseline + mde (absolute) with the given power."""
    _check(alpha, ratio, mde)
    return _size(mde, _proportion_variances(baseline, mde), power=power, ratio=ratio, alpha=alpha)


def power_proportions(baseline: float, mde: float, n_control: int, *, alpha: float = 0.05, ratio: float = 1.0) -> float:
    """Power of the two-sided unpooled two-proportion z test."""
    _check(alpha, ratio, mde)
    if n_control <= 0:
        raise ValueError("n_control must be positive")
    return _power(mde, _proportion_variances(baseline, mde), n_control, ratio=ratio, alpha=alpha)
