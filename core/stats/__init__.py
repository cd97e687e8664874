"""Pure statistics over sufficient statistics and arrays: no database, no I/O, no global state.

Every decision promptloop proposes goes through here: single-group intervals, fixed-horizon and
always-valid (sequential) comparisons, power, sample ratio mismatch, multiple-comparison
adjustment, paired bootstrap, anomalies, trends and covariate-adjusted observational effects.
Expected conditions come back as a ``Code`` on the result, never as exceptions.
"""

from core.stats.anomaly import robust_anomalies, robust_z_scores
from core.stats.bootstrap import paired_bootstrap
from core.stats.compare import fixed_horizon_test, two_proportion_test, welch_test
from core.stats.effects import EffectCell, adjusted_effect, adjusted_effect_from_arrays
from core.stats.intervals import t_interval, wilson_interval
from core.stats.multiple import benjamini_hochberg, holm
from core.stats.power import (
    SampleSize,
    power_means,
    power_proportions,
    sample_size_means,
    sample_size_proportions,
)
from core.stats.results import (
    AnomalyPoint,
    Code,
    Comparison,
    EffectResult,
    Estimate,
    Interval,
    SequentialResult,
    SRMResult,
    TrendResult,
)
from core.stats.sequential import (
    DEFAULT_HORIZON,
    always_valid_p_values,
    confidence_sequence_half_width,
    horizon_from_plan,
    rho_for_horizon,
    sequential_test,
)
from core.stats.srm import srm_test
from core.stats.sufficient import MeanStats, PropStats
from core.stats.trend import trend_slope

__all__ = [
    "DEFAULT_HORIZON",
    "AnomalyPoint",
    "Code",
    "Comparison",
    "EffectCell",
    "EffectResult",
    "Estimate",
    "Interval",
    "MeanStats",
    "PropStats",
    "SRMResult",
    "SampleSize",
    "SequentialResult",
    "TrendResult",
    "adjusted_effect",
    "adjusted_effect_from_arrays",
    "always_valid_p_values",
    "benjamini_hochberg",
    "confidence_sequence_half_width",
    "fixed_horizon_test",
    "holm",
    "horizon_from_plan",
    "paired_bootstrap",
    "power_means",
    "power_proportions",
    "rho_for_horizon",
    "robust_anomalies",
    "robust_z_scores",
    "sample_size_means",
    "sample_size_proportions",
    "sequential_test",
    "srm_test",
    "t_interval",
    "trend_slope",
    "two_proportion_test",
    "welch_test",
    "wilson_interval",
]
