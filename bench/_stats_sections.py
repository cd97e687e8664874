"""Monte Carlo of sample-ratio checks and of section effects (confounding, multiple comparisons).

Section model: each unit's input is easy (p = 0.85) or hard (p = 0.55) with probability 1/2; a
section is included on 70 % of easy inputs and 30 % of hard ones (the confounding the issue
describes); a real section adds ``effect`` to the success probability in both strata.  Data are
drawn as exact cell sufficient statistics (multinomial cell sizes, binomial successes) and passed
through the library's post-stratified estimator, exactly as analytics would pass rollups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core.stats.effects import EffectCell, adjusted_effect
from core.stats.multiple import benjamini_hochberg, holm
from core.stats.srm import srm_test
from core.stats.sufficient import MeanStats

ALPHA = 0.05
NAIVE_SECTION_RULE = 0.05  # the rule being replaced: "add if accuracy with minus without > 0.05"
P_EASY, P_HARD = 0.85, 0.55
INCLUDED_IF_EASY, INCLUDED_IF_HARD = 0.7, 0.3
UNITS_PER_SECTION = 2000
NULL_SECTIONS, REAL_SECTIONS, REAL_EFFECT = 20, 5, 0.06


def srm_flag_rate(share_a: float, units: int, reps: int, rng: np.random.Generator) -> NDArray[np.bool_]:
    """Whether ``srm_test`` flags a planned 50/50 split when arm A truly gets ``share_a``."""
    arm_a = rng.binomial(units, share_a, size=reps)
    return np.array([srm_test([int(a), units - int(a)], [1.0, 1.0]).mismatch for a in arm_a])


def _cells(rng: np.random.Generator, effect: float) -> list[EffectCell]:
    n_easy = int(rng.binomial(UNITS_PER_SECTION, 0.5))
    cells = []
    for stratum, n_stratum, share_in, p in (
        ("easy", n_easy, INCLUDED_IF_EASY, P_EASY),
        ("hard", UNITS_PER_SECTION - n_easy, INCLUDED_IF_HARD, P_HARD),
    ):
        n_in = int(rng.binomial(n_stratum, share_in))
        for included, n, rate in ((True, n_in, p + effect), (False, n_stratum - n_in, p)):
            wins = float(rng.binomial(n, rate))
            cells.append(EffectCell(stratum, included, MeanStats(n, wins, wins)))  # x² = x for 0/1
    return cells


@dataclass(frozen=True)
class ConfoundedRuns:
    naive_rule: NDArray[np.bool_]  # with − without > 0.05
    adjusted: NDArray[np.bool_]  # post-stratified p < 0.05 (either direction)


def confounded_null(reps: int, rng: np.random.Generator) -> ConfoundedRuns:
    results = [adjusted_effect(_cells(rng, 0.0)) for _ in range(reps)]
    return ConfoundedRuns(
        naive_rule=np.array([r.naive_effect > NAIVE_SECTION_RULE for r in results]),
        adjusted=np.array([r.p_value < ALPHA for r in results]),
    )


@dataclass(frozen=True)
class FamilyRuns:
    """Per replication over 25 sections: false discovery proportion and share of real effects found
    (BH at q ≤ 0.05 on adjusted p-values), any false claim under Holm, and the FDP of the
    unadjusted p < 0.05 rule for contrast."""

    bh_fdp: NDArray[np.float64]
    bh_power: NDArray[np.float64]
    holm_any_false: NDArray[np.bool_]
    unadjusted_fdp: NDArray[np.float64]


def _fdp(discoveries: NDArray[np.bool_], is_null: NDArray[np.bool_]) -> float:
    return float((discoveries & is_null).sum() / max(int(discoveries.sum()), 1))


def section_family(reps: int, rng: np.random.Generator) -> FamilyRuns:
    effects = np.r_[np.zeros(NULL_SECTIONS), np.full(REAL_SECTIONS, REAL_EFFECT)]
    is_null = effects == 0.0
    bh_fdp, bh_power, holm_any, raw_fdp = [], [], [], []
    for _ in range(reps):
        p = np.array([adjusted_effect(_cells(rng, float(e))).p_value for e in effects])
        found = benjamini_hochberg(p) <= ALPHA
        bh_fdp.append(_fdp(found, is_null))
        bh_power.append(float(found[~is_null].mean()))
        holm_any.append(bool((holm(p)[is_null] <= ALPHA).any()))
        raw_fdp.append(_fdp(p < ALPHA, is_null))
    return FamilyRuns(np.array(bh_fdp), np.array(bh_power), np.array(holm_any), np.array(raw_fdp))
