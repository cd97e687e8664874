"""Which sections help: covariate-adjusted effects of including a section, and section combinations.

Both are *observational*: sections are included by the application, not at random, so inclusion can
be correlated with easy or hard inputs. The effect of a section is therefore estimated within strata
of (version, segment, the other included sections) — the post-stratified estimator of
``core.stats.effects`` — and reported as a hypothesis to confirm by a randomized experiment.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats as sps
from sqlalchemy.orm import Session

from core.analytics.cells import Group, Scope, aggregate
from core.stats import Code, EffectCell, EffectResult, Estimate, Interval, MeanStats, adjusted_effect, t_interval


@dataclass(frozen=True)
class SectionEffect:
    section_id: str
    result: EffectResult  # effect = accuracy(included) − accuracy(excluded), adjusted; observational


def _cells(session: Session, scope: Scope) -> list[Group]:
    return aggregate(session, scope, by=("version_id", "segment_key", "section_ids"))


def varying_sections(groups: Sequence[Group]) -> list[str]:
    """Sections included in some executions of the scope and not in others (the only testable ones)."""
    sets = [frozenset(g.key["section_ids"]) for g in groups if g.stats.accuracy.n]
    if not sets:
        return []
    everywhere = frozenset.intersection(*sets)
    return sorted(frozenset.union(*sets) - everywhere)


def effect_cells(groups: Sequence[Group], section_id: str) -> list[EffectCell]:
    """Pure: one cell per rollup group; the stratum is everything but this section's inclusion."""
    cells = []
    for group in groups:
        included = frozenset(group.key["section_ids"])
        others = tuple(sorted(included - {section_id}))
        stratum = (group.key["version_id"], json.dumps(group.key["segment_key"], sort_keys=True), others)
        cells.append(EffectCell(stratum=stratum, included=section_id in included, stats=group.stats.accuracy))
    return cells


def section_effects(
    session: Session, scope: Scope, *, sections: Sequence[str] | None = None, level: float = 0.95
) -> list[SectionEffect]:
    """Adjusted effect of each section (default: every section whose inclusion varies in the scope)."""
    groups = _cells(session, scope)
    wanted = varying_sections(groups) if sections is None else list(sections)
    return [SectionEffect(s, adjusted_effect(effect_cells(groups, s), level=level)) for s in wanted]


@dataclass(frozen=True)
class Combination:
    section_ids: tuple[str, ...]
    executions: int
    raw: Estimate  # mean accuracy of this combination as observed
    standardized: Estimate  # mean accuracy re-weighted to the scope's segment mix (direct standardization)
    segments_used: int


def section_combinations(session: Session, scope: Scope, *, min_n: int = 100, level: float = 0.95) -> list[Combination]:
    """Section sets with at least ``min_n`` scored executions, best first (by the standardized lower bound).

    Raw means of a section set mix its segments; the standardized estimate re-weights each segment's
    mean to the segment shares of the whole scope, over the segments the set has (>= 2 scored
    executions), so sets used mostly for easy traffic do not look better for that reason alone.
    """
    groups = aggregate(session, scope, by=("segment_key", "section_ids"))
    return rank_combinations(groups, min_n=min_n, level=level)


def rank_combinations(groups: Sequence[Group], *, min_n: int, level: float) -> list[Combination]:
    """Pure part of :func:`section_combinations`."""
    segment_totals: dict[str, int] = {}
    by_set: dict[tuple[str, ...], dict[str, MeanStats]] = {}
    for group in groups:
        segment = json.dumps(group.key["segment_key"], sort_keys=True)
        segment_totals[segment] = segment_totals.get(segment, 0) + group.stats.accuracy.n
        cells = by_set.setdefault(tuple(sorted(group.key["section_ids"])), {})
        cells[segment] = cells.get(segment, MeanStats.empty()) + group.stats.accuracy
    z = float(sps.norm.ppf(0.5 + level / 2))
    combos = []
    for section_ids, cells in by_set.items():
        pooled = sum(cells.values(), MeanStats.empty())
        if pooled.n < min_n:
            continue
        combos.append(
            Combination(
                section_ids=section_ids,
                executions=pooled.n,
                raw=t_interval(pooled, level),
                standardized=_standardized(cells, segment_totals, z, level),
                segments_used=sum(1 for c in cells.values() if c.n >= 2),
            )
        )
    return sorted(combos, key=_lower_bound, reverse=True)


def _lower_bound(combination: Combination) -> float:
    lower = combination.standardized.interval.lower
    return lower if math.isfinite(lower) else -math.inf


def _standardized(cells: dict[str, MeanStats], weights: dict[str, int], z: float, level: float) -> Estimate:
    usable = {s: c for s, c in cells.items() if c.n >= 2}
    total_weight = sum(weights[s] for s in usable)
    if not usable or total_weight == 0:
        return Estimate(math.nan, Interval.undefined(level), 0, Code.TOO_FEW_SAMPLES)
    mean = sum(weights[s] * c.mean for s, c in usable.items()) / total_weight
    variance = sum((weights[s] / total_weight) ** 2 * c.variance / c.n for s, c in usable.items())
    half = z * math.sqrt(variance)
    n = sum(c.n for c in usable.values())
    return Estimate(mean, Interval(mean - half, mean + half, level), n, Code.OK)
