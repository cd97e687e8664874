"""Monte Carlo of continuously monitored A/B tests: the always-valid test vs the naive rule.

Each replication runs one experiment to twice the fixed-horizon sample size per group, read at
100 equally spaced looks.  Sufficient statistics are accumulated with cumulative sums so one call
evaluates every look of every replication; the decision at each look is the library's own
vectorised kernel (``core.stats.sequential.always_valid_p_values``, the same code path as
``sequential_test``) with the library's variance conventions (unpooled p(1 − p) for proportions,
ddof = 1 for means).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from core.stats.sequential import always_valid_p_values, horizon_from_plan, rho_for_horizon

ALPHA = 0.05
LOOKS = 100
NAIVE_DELTA = 0.03  # the rule being replaced: "significant if |delta| > 0.03 and n > 30"
NAIVE_MIN_N = 30
CHUNK = 250  # replications per vectorised batch (bounds memory at ~25 MB for the score metric)


@dataclass(frozen=True)
class Metric:
    """A metric's data-generating process: binary Bernoulli(mean) or a Beta score with this sd."""

    kind: str  # "binary" | "score"
    mean: float
    sd: float


@dataclass(frozen=True)
class Runs:
    """Per replication: ever significant (sequential), n per group at the first significant look
    (n_max if never), ever flagged by the naive rule, and significant by the fixed-horizon test
    at the fixed n (read once) and at any look (peeking at a fixed-horizon p-value)."""

    sequential: NDArray[np.bool_]
    stop_n: NDArray[np.float64]
    naive: NDArray[np.bool_]
    fixed_once: NDArray[np.bool_]
    fixed_peeking: NDArray[np.bool_]


def look_sizes(n_fixed: int) -> NDArray[np.int64]:
    n_max = 2 * n_fixed
    return np.ceil(np.arange(1, LOOKS + 1) * n_max / LOOKS).astype(np.int64)


def _beta_params(mean: float, sd: float) -> tuple[float, float]:
    common = mean * (1.0 - mean) / sd**2 - 1.0
    return mean * common, (1.0 - mean) * common


def _cumulative(
    metric: Metric, mean: float, looks: NDArray[np.int64], reps: int, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(Σx, per-unit variance) at each look, shape (reps, looks)."""
    n = looks.astype(np.float64)
    if metric.kind == "binary":
        # successes between looks are exactly Binomial(new units, p): the sufficient statistic
        increments = np.diff(np.concatenate([[0], looks]))
        sums = np.cumsum(rng.binomial(increments, mean, size=(reps, looks.size)), axis=1).astype(np.float64)
        p = sums / n
        return sums, p * (1.0 - p)
    a, b = _beta_params(mean, metric.sd)
    x = rng.beta(a, b, size=(reps, int(looks[-1])))
    sums = np.cumsum(x, axis=1)[:, looks - 1]
    sum_sq = np.cumsum(x * x, axis=1)[:, looks - 1]
    m2 = np.maximum(sum_sq - sums * (sums / n), 0.0)
    return sums, m2 / (n - 1.0)


def _chunk(metric: Metric, effect: float, n_fixed: int, reps: int, rng: np.random.Generator) -> Runs:
    looks = look_sizes(n_fixed)
    n = looks.astype(np.float64)
    sum_c, var_c = _cumulative(metric, metric.mean, looks, reps, rng)
    sum_t, var_t = _cumulative(metric, metric.mean + effect, looks, reps, rng)
    delta = (sum_t - sum_c) / n
    var_delta = var_c / n + var_t / n
    rho = rho_for_horizon(horizon_from_plan(n_fixed), ALPHA)
    significant = always_valid_p_values(delta, var_delta, 2.0 * n, rho) <= ALPHA
    ever = np.asarray(significant.any(axis=1), dtype=np.bool_)
    first = np.argmax(significant, axis=1)
    stop_n = np.where(ever, n[first], n[-1])
    naive = np.asarray(((np.abs(delta) > NAIVE_DELTA) & (n > NAIVE_MIN_N)).any(axis=1), dtype=np.bool_)
    z_crit = float(sps.norm.ppf(1.0 - ALPHA / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        fixed_sig = np.abs(delta) > z_crit * np.sqrt(var_delta)
    at_fixed = int(np.searchsorted(looks, n_fixed))  # the look at exactly n_fixed (z approximation)
    return Runs(ever, stop_n, naive, fixed_sig[:, at_fixed], np.asarray(fixed_sig.any(axis=1), dtype=np.bool_))


def simulate(metric: Metric, effect: float, n_fixed: int, reps: int, rng: np.random.Generator) -> Runs:
    parts = [_chunk(metric, effect, n_fixed, min(CHUNK, reps - start), rng) for start in range(0, reps, CHUNK)]
    return Runs(*(np.concatenate([getattr(p, f) for p in parts]) for f in Runs.__dataclass_fields__))
