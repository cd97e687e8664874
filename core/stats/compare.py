"""Fixed-horizon two-group comparisons (treatment − control) for planned analyses.

Read these once, at the sample size fixed in advance (see ``core.stats.power``).  For a readout
that is looked at repeatedly use ``core.stats.sequential`` instead: repeated looks at a
fixed-horizon p-value inflate the false-positive rate far above its level.
"""

from __future__ import annotations

import math

from scipy import stats as sps

from core.stats.intervals import MIN_N_FOR_VARIANCE, check_level
from core.stats.results import Code, Comparison, Interval
from core.stats.sufficient import MeanStats, PropStats

WELCH = "welch_t"
TWO_PROPORTION = "two_proportion_z"


def _guard(n_c: int, n_t: int) -> Code:
    if n_c == 0 or n_t == 0:
        return Code.EMPTY
    if n_c < MIN_N_FOR_VARIANCE or n_t < MIN_N_FOR_VARIANCE:
        return Code.TOO_FEW_SAMPLES
    return Code.OK


def _not_computable(code: Code, level: float, method: str, n: tuple[int, int], delta: float) -> Comparison:
    nan_iv = Interval.undefined(level)
    return Comparison(delta, nan_iv, math.nan, math.nan, nan_iv, code, method, n[0], n[1])


def relative_lift(mean_c: float, mean_t: float, var_mean_c: float, var_mean_t: float) -> tuple[float, float]:
    """Relative lift mean_t / mean_c − 1 and its delta-method variance.

    Var(x̄_t / x̄_c) ≈ Var(x̄_t)/μ_c² + μ_t²·Var(x̄_c)/μ_c⁴ (first-order Taylor expansion, independent
    groups; Casella & Berger 2002 §5.5.4; the same expression as gbstats ``frequentist_variance``
    with ``relative=True``).  Returns (nan, nan) when the control mean is zero.
    """
    scale = mean_c * mean_c
    if scale == 0.0 or not math.isfinite(scale):
        return math.nan, math.nan
    ratio = mean_t / mean_c
    var = (var_mean_t + ratio * ratio * var_mean_c) / scale  # the expression above, underflow-safe
    if not (math.isfinite(ratio) and math.isfinite(var)):
        return math.nan, math.nan
    return ratio - 1.0, var


def _comparison(
    *,
    mean_c: float,
    mean_t: float,
    var_mean_c: float,
    var_mean_t: float,
    df: float,
    level: float,
    method: str,
    n_c: int,
    n_t: int,
) -> Comparison:
    """Assemble a comparison from group means and the variances of those means.

    ``df = inf`` selects the normal reference distribution.
    """
    delta = mean_t - mean_c
    se = math.sqrt(var_mean_c + var_mean_t)
    if se == 0.0:
        lift, _ = relative_lift(mean_c, mean_t, 0.0, 0.0)
        point = Interval.point(delta, level)
        rel_iv = Interval.point(lift, level) if math.isfinite(lift) else Interval.undefined(level)
        return Comparison(delta, point, math.nan, lift, rel_iv, Code.ZERO_VARIANCE, method, n_c, n_t)
    crit, p_value = critical_and_p(abs(delta) / se, df, level)
    interval = Interval(delta - crit * se, delta + crit * se, level)
    lift, lift_var = relative_lift(mean_c, mean_t, var_mean_c, var_mean_t)
    if math.isfinite(lift):
        half = crit * math.sqrt(lift_var)
        rel_iv = Interval(lift - half, lift + half, level)
    else:
        rel_iv = Interval.undefined(level)
    return Comparison(delta, interval, p_value, lift, rel_iv, Code.OK, method, n_c, n_t)


def critical_and_p(abs_stat: float, df: float, level: float) -> tuple[float, float]:
    """Two-sided critical value and p-value from Student t with ``df`` (normal when df = inf)."""
    if math.isfinite(df):
        return float(sps.t.ppf(0.5 + level / 2.0, df)), float(2.0 * sps.t.sf(abs_stat, df))
    return float(sps.norm.ppf(0.5 + level / 2.0)), float(2.0 * sps.norm.sf(abs_stat))


def satterthwaite_df(var_mean_c: float, var_mean_t: float, n_c: int, n_t: int) -> float:
    """Welch–Satterthwaite degrees of freedom (Welch 1947, Biometrika 34; Satterthwaite 1946)."""
    num = (var_mean_c + var_mean_t) ** 2
    den = var_mean_c**2 / (n_c - 1) + var_mean_t**2 / (n_t - 1)
    return num / den if den > 0.0 else math.inf


def welch_test(control: MeanStats, treatment: MeanStats, *, level: float = 0.95) -> Comparison:
    """Welch's unequal-variance t test with Satterthwaite df; agrees with
    ``scipy.stats.ttest_ind(equal_var=False)``.  Relative lift by the delta method, same df."""
    check_level(level)
    code = _guard(control.n, treatment.n)
    if code is not Code.OK:
        return _not_computable(code, level, WELCH, (control.n, treatment.n), treatment.mean - control.mean)
    var_c = control.variance / control.n
    var_t = treatment.variance / treatment.n
    return _comparison(
        mean_c=control.mean,
        mean_t=treatment.mean,
        var_mean_c=var_c,
        var_mean_t=var_t,
        df=satterthwaite_df(var_c, var_t, control.n, treatment.n),
        level=level,
        method=WELCH,
        n_c=control.n,
        n_t=treatment.n,
    )


def two_proportion_test(control: PropStats, treatment: PropStats, *, level: float = 0.95) -> Comparison:
    """Two-proportion z test with the unpooled (Wald) variance p_c q_c/n_c + p_t q_t/n_t.

    Unpooled so that the p-value and the interval come from one standard error and always agree
    (p < α exactly when the interval excludes 0), as in gbstats.  Agrees with statsmodels
    ``test_proportions_2indep(method="wald")`` and ``confint_proportions_2indep(method="wald")``
    (Agresti 2013, Categorical Data Analysis, §3.1.2).  Relative lift by the delta method.
    """
    check_level(level)
    code = _guard(control.n, treatment.n)
    if code is not Code.OK:
        return _not_computable(code, level, TWO_PROPORTION, (control.n, treatment.n), treatment.p - control.p)
    return _comparison(
        mean_c=control.p,
        mean_t=treatment.p,
        var_mean_c=control.variance / control.n,
        var_mean_t=treatment.variance / treatment.n,
        df=math.inf,
        level=level,
        method=TWO_PROPORTION,
        n_c=control.n,
        n_t=treatment.n,
    )


def fixed_horizon_test(
    control: MeanStats | PropStats, treatment: MeanStats | PropStats, *, level: float = 0.95
) -> Comparison:
    """The planned-analysis test for either metric kind (both groups must be the same kind)."""
    if isinstance(control, PropStats) and isinstance(treatment, PropStats):
        return two_proportion_test(control, treatment, level=level)
    if isinstance(control, MeanStats) and isinstance(treatment, MeanStats):
        return welch_test(control, treatment, level=level)
    raise TypeError("control and treatment must both be MeanStats or both be PropStats")
