"""Patterns with their figures: size, severity, daily trend, and whether they are anomalous this week (pure).

Counts: each sampled correction stands for ``corrections(hour) / sampled(hour)`` corrections of its
hour (``sample``), so a pattern's estimated count is the weighted sum of its sampled corrections and
its *share of calls* is that over the executions of the period (both from the rollups).

This week vs the weeks before: a two-proportion z test (``core.stats.two_proportion_test``) of the
pattern's share of calls in the last ``recent_days`` against the earlier part of the window. Under
sampling, the counts are deflated by the period's mean weight W = corrections / sampled (n → n/W,
k → k̂/W) so the binomial variance matches the sampled estimate's (a Poisson approximation of the
Horvitz–Thompson variance); with no sampling (W = 1) the test is exact. Every pattern of the prompt is
tested and the p-values are adjusted by Benjamini–Hochberg; "anomalous this week" is q ≤ ``fdr``.

The trend (Theil–Sen slope of the daily share over the last two ``recent_days`` periods, with its
interval) *describes* the change; the decision is the test above, because Theil–Sen's interval
undercovers on autocorrelated daily series (see ``core.stats.trend``).

Severity is the accuracy lost per call to the pattern this week: its share of calls times the mean
loss of its corrections (1 − similarity).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from core.insights.patterns.cluster import Clustering, pattern_key, pattern_label
from core.insights.patterns.sample import CorrectionText
from core.stats import (
    Comparison,
    Estimate,
    PropStats,
    TrendResult,
    benjamini_hochberg,
    trend_slope,
    two_proportion_test,
)
from core.stats import wilson_interval as wilson

DAY = timedelta(days=1)
EXAMPLES = 3


@dataclass(frozen=True)
class HourTotals:
    executions: int
    corrections: int


@dataclass(frozen=True)
class CorrectionPattern:
    key: str
    label: str
    terms: tuple[str, ...]
    sampled: int  # corrections of the pattern in the sample
    estimated: float  # estimated corrections of the pattern in the window
    share_of_corrections: float
    recent: Estimate  # share of calls this week (Wilson interval on the deflated counts)
    earlier: Estimate  # share of calls in the weeks before
    growth: Comparison  # recent − earlier, with relative lift and its interval
    q_value: float
    anomalous_this_week: bool
    mean_loss: float
    severity: float  # accuracy lost per call this week
    trend: TrendResult  # slope of the daily share per day (descriptive)
    daily: tuple[tuple[str, float], ...]  # (day start ISO, share of calls): the chart
    examples: tuple[tuple[str, str], ...]  # (model output, user's correction), most typical first

    @property
    def growing(self) -> bool:
        return self.anomalous_this_week and self.growth.delta > 0


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    recent_start: datetime

    @property
    def days(self) -> int:
        return max(1, round((self.end - self.start) / DAY))


def _weights(samples: Sequence[CorrectionText], hours: Mapping[datetime, HourTotals]) -> dict[datetime, float]:
    sampled: dict[datetime, int] = {}
    for s in samples:
        sampled[s.hour] = sampled.get(s.hour, 0) + 1
    return {h: hours[h].corrections / n if h in hours and hours[h].corrections else 1.0 for h, n in sampled.items()}


def _period(hours: Mapping[datetime, HourTotals], samples: int, lo: datetime, hi: datetime) -> tuple[int, float]:
    """(executions, mean sampling weight) of the hours in [lo, hi)."""
    executions = sum(t.executions for h, t in hours.items() if lo <= h < hi)
    corrections = sum(t.corrections for h, t in hours.items() if lo <= h < hi)
    return executions, (corrections / samples if samples else 1.0)


def _deflated(count: float, executions: int, weight: float) -> PropStats:
    n = round(executions / weight) if weight > 0 else executions
    return PropStats(n, min(n, round(count / weight)) if weight > 0 else 0)


@dataclass(frozen=True)
class _Draft:
    cluster: int
    rows: NDArray[np.int64]  # indices of the cluster's samples
    recent: PropStats
    earlier: PropStats
    share: NDArray[np.float64]  # daily share of calls
    growth: Comparison


def build_patterns(
    clustering: Clustering,
    samples: Sequence[CorrectionText],
    hours: Mapping[datetime, HourTotals],
    window: Window,
    *,
    fdr: float,
) -> list[CorrectionPattern]:
    """Figures of every cluster, largest first (``samples`` in the order they were clustered)."""
    if not samples:
        return []
    weight = _weights(samples, hours)
    w = np.array([weight[s.hour] for s in samples])
    recent = np.array([s.hour >= window.recent_start for s in samples])
    n_recent, w_recent = _period(hours, int(recent.sum()), window.recent_start, window.end)
    n_earlier, w_earlier = _period(hours, int((~recent).sum()), window.start, window.recent_start)
    day_index = np.array([int((s.hour - window.start) / DAY) for s in samples])
    day_execs = np.zeros(window.days)
    for h, t in hours.items():
        if window.start <= h < window.end:
            day_execs[int((h - window.start) / DAY)] += t.executions
    drafts = []
    for c in range(clustering.k):
        member = clustering.labels == c
        if not member.any():
            continue
        recent_stats = _deflated(float(w[member & recent].sum()), n_recent, w_recent)
        earlier_stats = _deflated(float(w[member & ~recent].sum()), n_earlier, w_earlier)
        daily = np.bincount(day_index[member], weights=w[member], minlength=window.days)[: window.days]
        share = np.divide(daily, day_execs, out=np.full(window.days, np.nan), where=day_execs > 0)
        comparison = two_proportion_test(earlier_stats, recent_stats)
        drafts.append(_Draft(c, np.flatnonzero(member), recent_stats, earlier_stats, share, comparison))
    q_values = benjamini_hochberg([d.growth.p_value for d in drafts])
    total = float(w.sum())
    patterns = [
        _pattern(draft, clustering=clustering, samples=samples, w=w, window=window, q=float(q), fdr=fdr, total=total)
        for draft, q in zip(drafts, q_values, strict=True)
    ]
    return sorted(patterns, key=lambda p: (-p.estimated, p.key))


def _pattern(
    draft: _Draft,
    *,
    clustering: Clustering,
    samples: Sequence[CorrectionText],
    w: NDArray[np.float64],
    window: Window,
    q: float,
    fdr: float,
    total: float,
) -> CorrectionPattern:
    idx = draft.rows
    losses = np.array([1.0 - samples[i].accuracy for i in idx])
    mean_loss = float(np.average(losses, weights=w[idx]))
    recent_days = max(1, round((window.end - window.recent_start) / DAY))
    trend_span = min(len(draft.share), 2 * recent_days)
    recent_estimate = wilson(draft.recent)
    terms = clustering.terms[draft.cluster]
    daily = tuple((window.start + i * DAY).isoformat() for i in range(len(draft.share)))
    return CorrectionPattern(
        key=pattern_key(terms),
        label=pattern_label(terms),
        terms=terms,
        sampled=int(idx.size),
        estimated=float(w[idx].sum()),
        share_of_corrections=float(w[idx].sum()) / total if total else math.nan,
        recent=recent_estimate,
        earlier=wilson(draft.earlier),
        growth=draft.growth,
        q_value=q,
        anomalous_this_week=bool(q <= fdr),
        mean_loss=mean_loss,
        severity=(recent_estimate.value * mean_loss) if draft.recent.n else math.nan,
        trend=trend_slope(draft.share[-trend_span:]),
        daily=tuple(zip(daily, (float(v) for v in draft.share), strict=True)),
        examples=_examples(samples, idx, clustering.similarity),
    )


def _examples(
    samples: Sequence[CorrectionText], idx: NDArray[np.int64], similarity: NDArray[np.float64]
) -> tuple[tuple[str, str], ...]:
    order = idx[np.argsort(-similarity[idx], kind="stable")]
    seen: list[tuple[str, str]] = []
    for i in order:
        pair = (samples[i].original, samples[i].corrected)
        if pair not in seen:
            seen.append(pair)
        if len(seen) == EXAMPLES:
            break
    return tuple(seen)
