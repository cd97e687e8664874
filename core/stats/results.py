"""Result value objects shared by the statistics modules.

Expected conditions (too few samples, zero variance, empty input) are reported through ``code``
rather than raised, in the style of GrowthBook's gbstats: a caller that reads rollups will meet
them routinely and must be able to render them.  Fields that cannot be computed under such a code
are ``nan`` and the interval is ``Interval.undefined(level)``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Code(StrEnum):
    """Why a result is (or is not) usable."""

    OK = "ok"
    EMPTY = "empty"
    TOO_FEW_SAMPLES = "too_few_samples"
    ZERO_VARIANCE = "zero_variance"
    NO_OVERLAP = "no_overlap"  # observational effect: no stratum holds both groups


@dataclass(frozen=True, slots=True)
class Interval:
    """A two-sided interval at confidence ``level`` (e.g. 0.95)."""

    lower: float
    upper: float
    level: float

    @classmethod
    def undefined(cls, level: float) -> Interval:
        return cls(math.nan, math.nan, level)

    @classmethod
    def point(cls, value: float, level: float) -> Interval:
        return cls(value, value, level)

    @property
    def width(self) -> float:
        return self.upper - self.lower

    def contains(self, value: float) -> bool:
        return self.lower <= value <= self.upper

    def excludes_zero(self) -> bool:
        return self.lower > 0.0 or self.upper < 0.0


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its interval, e.g. one group's rate or a bootstrap difference."""

    value: float
    interval: Interval
    n: int
    code: Code


@dataclass(frozen=True, slots=True)
class Comparison:
    """Fixed-horizon comparison of treatment against control (treatment − control).

    ``relative_lift`` is treatment / control − 1 with a delta-method interval; it is ``nan`` when
    the control mean is zero, while the absolute comparison stays valid.
    """

    delta: float
    interval: Interval
    p_value: float
    relative_lift: float
    relative_interval: Interval
    code: Code
    method: str
    n_control: int
    n_treatment: int


@dataclass(frozen=True, slots=True)
class SequentialResult:
    """One look of an always-valid comparison (treatment − control).

    ``interval`` is the confidence sequence at this look and ``p_value`` the always-valid p-value;
    both hold simultaneously over every look, so the test may be read after each new batch.
    ``tuning`` is the total sample size (both groups) at which the sequence is tightest and
    ``rho`` the mixing parameter derived from it.
    """

    delta: float
    interval: Interval
    p_value: float
    significant: bool
    code: Code
    tuning: float
    rho: float
    alpha: float
    n_control: int
    n_treatment: int


@dataclass(frozen=True, slots=True)
class SRMResult:
    """Chi-square goodness of fit of observed arm counts against the planned split."""

    chi2: float
    p_value: float
    mismatch: bool
    code: Code


@dataclass(frozen=True, slots=True)
class AnomalyPoint:
    """A point whose robust z-score against its trailing history exceeds the threshold."""

    index: int
    value: float
    expected: float  # the median of the history
    robust_z: float
    direction: Literal["high", "low"]


@dataclass(frozen=True, slots=True)
class TrendResult:
    """Slope of a series per step (e.g. per day) with its interval."""

    slope_per_step: float
    interval: Interval
    code: Code
    method: str
    p_value: float
    n: int


@dataclass(frozen=True, slots=True)
class EffectResult:
    """Covariate-adjusted observational effect of a binary feature (included − excluded).

    Always observational: it is a hypothesis to be confirmed by a randomized experiment, never
    a decision by itself.  ``n_included``/``n_excluded`` count the units the adjusted estimate used
    (strata where both groups have data); ``naive_effect`` is the unadjusted difference over all
    units, kept to show how much adjustment moved the estimate.
    """

    effect: float
    interval: Interval
    p_value: float
    naive_effect: float
    n_included: int
    n_excluded: int
    strata_used: int
    strata_dropped: int
    code: Code
    method: str
    std_error: float = math.nan
    dropped: tuple[Hashable, ...] = ()
    observational: bool = True
