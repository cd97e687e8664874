"""Observational effect of a binary feature (e.g. a prompt section included or not), adjusted for
covariates.  Every result is a HYPOTHESIS to be confirmed by a randomized experiment: adjustment
removes the bias from the covariates it is given (e.g. input difficulty, user segment) and from
nothing else, so ``EffectResult.observational`` is always True.

From rollups (``adjusted_effect``): post-stratification, i.e. regression adjustment with saturated
stratum effects and their interactions with the feature.  Within each stratum s where both groups
have data, d_s = ȳ_incl,s − ȳ_excl,s; the estimate is Σ w_s·d_s with w_s = n_s / Σ n_s (stratum
size over the strata used).  The estimand is the average effect over the OVERLAP population —
units in strata where both groups were observed — not over all units; strata with only one group
are dropped and reported.  The estimator is the subclassification estimator (Imbens & Rubin 2015,
"Causal Inference", ch. 12/17) and equals the coefficient on the feature in the fully interacted
regression y ~ T·strata of Lin (2013, Ann. Appl. Stat. 7:295-318); see also Miratrix, Sekhon & Yu
(2013, JRSS-B 75:369-396).  Its variance conditions on the stratum sizes:
Var = Σ w_s² (s²_incl,s / n_incl,s + s²_excl,s / n_excl,s), with Welch–Satterthwaite degrees of
freedom for the linear combination (Satterthwaite 1946, Biometrics Bull. 2:110-114).  Identification
needs "no unmeasured confounding given the stratum" and overlap — untestable from these data.

From arrays (``adjusted_effect_from_arrays``): Lin's estimator, OLS of y on [1, T, X̃, T·X̃] with
centred covariates X̃ and HC2 robust standard errors (statsmodels), for covariates that are not
a handful of discrete strata.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from numpy.typing import ArrayLike

from core.stats.compare import critical_and_p
from core.stats.intervals import MIN_N_FOR_VARIANCE, check_level
from core.stats.results import Code, EffectResult, Interval
from core.stats.sufficient import MeanStats

POST_STRATIFIED = "post_stratified"
LIN_OLS_HC2 = "ols_lin_hc2"


@dataclass(frozen=True, slots=True)
class EffectCell:
    """Sufficient statistics of the metric for one stratum and one feature state.

    Several cells with the same (stratum, included) — e.g. hourly rollups — are summed.
    """

    stratum: Hashable
    included: bool
    stats: MeanStats


def _pool(cells: Iterable[EffectCell]) -> dict[Hashable, dict[bool, MeanStats]]:
    pooled: dict[Hashable, dict[bool, MeanStats]] = {}
    for cell in cells:
        groups = pooled.setdefault(cell.stratum, {True: MeanStats.empty(), False: MeanStats.empty()})
        groups[cell.included] = groups[cell.included] + cell.stats
    return pooled


def _usable(groups: dict[bool, MeanStats]) -> bool:
    return groups[True].n >= MIN_N_FOR_VARIANCE and groups[False].n >= MIN_N_FOR_VARIANCE


def _naive(pooled: dict[Hashable, dict[bool, MeanStats]]) -> float:
    incl = MeanStats.combine([g[True] for g in pooled.values()])
    excl = MeanStats.combine([g[False] for g in pooled.values()])
    return incl.mean - excl.mean if incl.n and excl.n else math.nan


def _interval_and_p(effect: float, variance: float, df: float, level: float) -> tuple[Interval, float]:
    se = math.sqrt(variance)
    crit, p_value = critical_and_p(abs(effect) / se, df, level)
    return Interval(effect - crit * se, effect + crit * se, level), p_value


def _post_stratify(used: dict[Hashable, dict[bool, MeanStats]]) -> tuple[float, float, float]:
    """(effect, variance, Welch–Satterthwaite df) of Σ w_s (ȳ_incl,s − ȳ_excl,s), w_s ∝ n_s."""
    n_total = sum(g[True].n + g[False].n for g in used.values())
    effect, variance, df_den = 0.0, 0.0, 0.0
    for groups in used.values():
        incl, excl = groups[True], groups[False]
        weight = (incl.n + excl.n) / n_total
        effect += weight * (incl.mean - excl.mean)
        for g in (incl, excl):
            term = weight**2 * g.variance / g.n
            variance += term
            df_den += term**2 / (g.n - 1)
    return effect, variance, (variance**2 / df_den if df_den > 0.0 else math.inf)


def adjusted_effect(cells: Iterable[EffectCell], *, level: float = 0.95) -> EffectResult:
    """Post-stratified effect of inclusion (included − excluded) from per-stratum rollups."""
    check_level(level)
    pooled = _pool(cells)
    naive = _naive(pooled)
    used = {s: g for s, g in pooled.items() if _usable(g)}
    dropped = tuple(s for s in pooled if s not in used)

    def result(effect: float, interval: Interval, p_value: float, code: Code, se: float = math.nan) -> EffectResult:
        return EffectResult(
            effect=effect,
            interval=interval,
            p_value=p_value,
            naive_effect=naive,
            n_included=sum(g[True].n for g in used.values()),
            n_excluded=sum(g[False].n for g in used.values()),
            strata_used=len(used),
            strata_dropped=len(dropped),
            code=code,
            method=POST_STRATIFIED,
            std_error=se,
            dropped=dropped,
        )

    if not any(g[True].n + g[False].n for g in pooled.values()):
        return result(math.nan, Interval.undefined(level), math.nan, Code.EMPTY)
    if not used:
        return result(math.nan, Interval.undefined(level), math.nan, Code.NO_OVERLAP)
    effect, variance, df = _post_stratify(used)
    if variance == 0.0:
        return result(effect, Interval.point(effect, level), math.nan, Code.ZERO_VARIANCE, 0.0)
    interval, p_value = _interval_and_p(effect, variance, df, level)
    return result(effect, interval, p_value, Code.OK, math.sqrt(variance))


def adjusted_effect_from_arrays(
    y: ArrayLike, included: ArrayLike, covariates: ArrayLike | None = None, *, level: float = 0.95
) -> EffectResult:
    """Lin (2013) regression-adjusted effect of inclusion from unit-level arrays, HC2 errors.

    ``covariates`` is an (n, k) numeric array (dummy-code categories yourself); None means none.
    The estimand is the average effect over all n units (it leans on the linear model where the
    groups do not overlap).  ``strata_used``/``strata_dropped`` are 0 for this method.
    """
    check_level(level)
    yv = np.asarray(y, dtype=np.float64).ravel()
    t = np.asarray(included, dtype=bool).ravel()
    x = np.empty((yv.size, 0)) if covariates is None else np.asarray(covariates, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    if t.shape != yv.shape or x.shape[0] != yv.size:
        raise ValueError("y, included and covariates must have one row per unit")
    n_in, n_ex = int(t.sum()), int((~t).sum())
    naive = float(yv[t].mean() - yv[~t].mean()) if n_in and n_ex else math.nan

    def result(effect: float, interval: Interval, p_value: float, code: Code, se: float = math.nan) -> EffectResult:
        return EffectResult(effect, interval, p_value, naive, n_in, n_ex, 0, 0, code, LIN_OLS_HC2, se)

    if yv.size == 0:
        return result(math.nan, Interval.undefined(level), math.nan, Code.EMPTY)
    x_c = x - x.mean(axis=0)
    design = np.column_stack([np.ones(yv.size), t.astype(np.float64), x_c, x_c * t[:, None]])
    if min(n_in, n_ex) < MIN_N_FOR_VARIANCE or yv.size <= design.shape[1]:
        return result(naive, Interval.undefined(level), math.nan, Code.TOO_FEW_SAMPLES)
    if np.ptp(yv) == 0.0:
        return result(0.0, Interval.point(0.0, level), math.nan, Code.ZERO_VARIANCE, 0.0)
    fit = sm.OLS(yv, design).fit(cov_type="HC2", use_t=True)
    effect, se = float(fit.params[1]), float(fit.bse[1])
    if not math.isfinite(se) or se == 0.0:
        return result(effect, Interval.undefined(level), math.nan, Code.TOO_FEW_SAMPLES)
    interval, p_value = _interval_and_p(effect, se**2, float(fit.df_resid), level)
    return result(effect, interval, p_value, Code.OK, se)
