"""Sufficient statistics that add together: the currency between rollups and tests.

``MeanStats`` keeps raw moments (n, Σx, Σx²) because that is what a SQL rollup can produce
(``count(*), sum(x), sum(x*x)``) and what adds across hours, segments and arms; this is gbstats'
``SampleMeanStatistic``.  The price of raw moments is cancellation in Σx² − (Σx)²/n.

Numerical approach (documented because rollups may hold 1e8 values):

* ``from_array`` sums in float64 with numpy's pairwise summation (relative error ~ ε·log₂ n
  rather than ε·n) and derives Σx² from the *centred* second moment, Σx² = M₂ + (Σx)²/n, so the
  stored value is as accurate as float64 allows.
* ``variance`` recovers M₂ = Σx² − Σx·x̄ and clamps it at zero.  Its absolute error is about
  ε·Σx², i.e. a relative error of ε·E[x²]/Var(x).  For values in [0, 1] and n = 1e8 that is
  ~1e-8 absolute on M₂, negligible against any variance a test could resolve.  For data far
  from zero relative to its spread (say latencies of 1e6 ± 1) roll up a shifted or rescaled
  value instead (e.g. seconds minus a fixed baseline).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _as_float_array(values: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(arr)):
        raise ValueError("values must be finite; drop or impute missing values before building stats")
    return arr


@dataclass(frozen=True, slots=True)
class MeanStats:
    """n, Σx and Σx² of a numeric metric (score, latency, tokens)."""

    n: int
    sum: float
    sum_sq: float

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError(f"n must be >= 0, got {self.n}")
        if self.sum_sq < 0:
            raise ValueError(f"sum_sq must be >= 0, got {self.sum_sq}")

    @classmethod
    def empty(cls) -> MeanStats:
        return cls(0, 0.0, 0.0)

    @classmethod
    def from_array(cls, values: ArrayLike) -> MeanStats:
        arr = _as_float_array(values)
        n = int(arr.size)
        if n == 0:
            return cls.empty()
        total = float(np.sum(arr))
        centred = arr - total / n
        m2 = float(np.dot(centred, centred))
        return cls(n, total, m2 + total * total / n)

    @classmethod
    def from_rollup(cls, count: int, total: float | None, total_sq: float | None) -> MeanStats:
        """Build from a rollup row; SQL ``sum`` over zero rows is NULL, read here as 0."""
        return cls(int(count), float(total or 0.0), float(total_sq or 0.0))

    @classmethod
    def combine(cls, parts: Sequence[MeanStats]) -> MeanStats:
        return sum(parts, cls.empty())

    def __add__(self, other: Any) -> MeanStats:
        if not isinstance(other, MeanStats):
            return NotImplemented
        return MeanStats(self.n + other.n, self.sum + other.sum, self.sum_sq + other.sum_sq)

    def __radd__(self, other: Any) -> MeanStats:
        # lets the builtin sum() start from 0
        if other == 0:
            return self
        return self.__add__(other)

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n > 0 else math.nan

    @property
    def m2(self) -> float:
        """Centred sum of squares Σ(x − x̄)², clamped at 0 against rounding."""
        if self.n == 0:
            return math.nan
        return max(self.sum_sq - self.sum * (self.sum / self.n), 0.0)

    @property
    def variance(self) -> float:
        """Sample variance (ddof = 1); ``nan`` for n < 2."""
        return self.m2 / (self.n - 1) if self.n >= 2 else math.nan

    @property
    def std(self) -> float:
        return math.sqrt(self.variance) if self.n >= 2 else math.nan


@dataclass(frozen=True, slots=True)
class PropStats:
    """n trials and the number of successes of a binary metric (failure, correction, success)."""

    n: int
    successes: int

    def __post_init__(self) -> None:
        if self.n < 0 or not 0 <= self.successes <= self.n:
            raise ValueError(f"need 0 <= successes <= n, got successes={self.successes}, n={self.n}")

    @classmethod
    def empty(cls) -> PropStats:
        return cls(0, 0)

    @classmethod
    def from_array(cls, flags: ArrayLike) -> PropStats:
        arr = np.asarray(flags).ravel()
        if arr.size and not np.isin(arr, (0, 1)).all():
            raise ValueError("flags must be booleans or 0/1")
        return cls(int(arr.size), int(np.count_nonzero(arr)))

    @classmethod
    def combine(cls, parts: Sequence[PropStats]) -> PropStats:
        return sum(parts, cls.empty())

    def __add__(self, other: Any) -> PropStats:
        if not isinstance(other, PropStats):
            return NotImplemented
        return PropStats(self.n + other.n, self.successes + other.successes)

    def __radd__(self, other: Any) -> PropStats:
        if other == 0:
            return self
        return self.__add__(other)

    @property
    def p(self) -> float:
        return self.successes / self.n if self.n > 0 else math.nan

    @property
    def variance(self) -> float:
        """Bernoulli variance p(1 − p) (the plug-in the z tests use)."""
        return self.p * (1.0 - self.p) if self.n > 0 else math.nan

    def to_mean_stats(self) -> MeanStats:
        """The same data as a numeric 0/1 metric (x² = x, so Σx² = Σx)."""
        return MeanStats(self.n, float(self.successes), float(self.successes))


Stats = MeanStats | PropStats


def moments(stats: Stats) -> tuple[int, float, float]:
    """(n, mean, per-unit variance) with the variance the normal-theory tests use for each kind."""
    return stats.n, (stats.p if isinstance(stats, PropStats) else stats.mean), stats.variance
