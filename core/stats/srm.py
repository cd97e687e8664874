"""Sample ratio mismatch: are the arms' unit counts consistent with the planned split?

Pearson's chi-square goodness-of-fit test (``scipy.stats.chisquare``) of observed counts against
total × planned weight.  A mismatch means assignment or logging is broken and the experiment's
comparisons cannot be trusted (Fabijan et al. 2019, "Diagnosing Sample Ratio Mismatch in Online
Controlled Experiments", KDD).  The strict default threshold p < 0.001 is the usual one (e.g.
GrowthBook, Optimizely) because SRM is checked on every readout of every experiment.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats as sps

from core.stats.results import Code, SRMResult

DEFAULT_SRM_THRESHOLD = 0.001
MIN_EXPECTED_COUNT = 5.0  # chi-square approximation rule of thumb (Cochran 1954)


def srm_test(
    observed_counts: Sequence[int],
    planned_weights: Sequence[float],
    *,
    threshold: float = DEFAULT_SRM_THRESHOLD,
) -> SRMResult:
    """Flag a mismatch when p < ``threshold``.

    Weights need not sum to 1.  An arm planned at weight 0 that received units is a mismatch by
    definition (chi2 = inf, p = 0).  Below ``MIN_EXPECTED_COUNT`` expected units in some arm the
    chi-square approximation is unreliable: the result carries ``TOO_FEW_SAMPLES`` and never flags.
    """
    observed = np.asarray(observed_counts, dtype=np.float64)
    weights = np.asarray(planned_weights, dtype=np.float64)
    if observed.shape != weights.shape or observed.ndim != 1 or observed.size < 2:
        raise ValueError("need one observed count and one planned weight per arm, at least two arms")
    if (observed < 0).any() or (weights < 0).any() or weights.sum() <= 0:
        raise ValueError("counts and weights must be non-negative and the weights not all zero")
    total = observed.sum()
    if total == 0:
        return SRMResult(math.nan, math.nan, False, Code.EMPTY)
    planned = weights > 0
    if (observed[~planned] > 0).any():
        return SRMResult(math.inf, 0.0, True, Code.OK)
    if planned.sum() < 2:
        # a single planned arm received every unit: nothing to test against
        return SRMResult(0.0, 1.0, False, Code.OK)
    expected = total * weights[planned] / weights.sum()
    chi2, p_value = sps.chisquare(observed[planned], expected)
    if expected.min() < MIN_EXPECTED_COUNT:
        return SRMResult(float(chi2), float(p_value), False, Code.TOO_FEW_SAMPLES)
    return SRMResult(float(chi2), float(p_value), bool(p_value < threshold), Code.OK)
