"""Multiple comparisons: adjusted p-values in the input order.

* ``holm`` controls the family-wise error rate under any dependence (Holm 1979, Scand. J. Statist.
  6:65-70): adjusted p_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j)).  Use it when a single false
  claim is costly (e.g. guardrail regressions).  Computed here in three numpy lines rather than by
  ``statsmodels.stats.multitest.multipletests``, which in statsmodels 0.15 runs ``gc.collect()`` on
  every call (~75 ms) — too slow for readouts over many experiments; the tests check it against
  statsmodels.
* ``benjamini_hochberg`` controls the false discovery rate under independence or positive
  dependence (Benjamini & Hochberg 1995, JRSS-B 57:289-300; Benjamini & Yekutieli 2001); computed by
  ``scipy.stats.false_discovery_control(method="bh")``.  Use it for many candidate effects (e.g.
  section recommendations), reporting each with its q-value.

Missing p-values (``nan``, e.g. a comparison whose code is not OK) are not counted as tests and
come back as ``nan``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps


def _prepare(p_values: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("p_values must be one-dimensional")
    present = ~np.isnan(p)
    if ((p[present] < 0.0) | (p[present] > 1.0)).any():
        raise ValueError("p-values must lie in [0, 1]")
    return p, present


def holm(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm step-down adjusted p-values (reject where adjusted ≤ α)."""
    p, present = _prepare(p_values)
    out = np.full(p.shape, np.nan)
    tested = p[present]
    order = np.argsort(tested, kind="stable")
    m = tested.size
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * tested[order]))
    out[present] = adjusted
    return out


def benjamini_hochberg(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini–Hochberg q-values (declare discoveries where q ≤ target FDR)."""
    p, present = _prepare(p_values)
    out = np.full(p.shape, np.nan)
    if present.any():
        out[present] = sps.false_discovery_control(p[present], method="bh")
    return out
