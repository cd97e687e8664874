"""Mining one prompt's correction patterns: sample texts, cluster what they changed, measure each pattern."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.analytics.cells import Scope, aggregate
from core.insights.patterns.cluster import cluster_corrections
from core.insights.patterns.features import diff_features
from core.insights.patterns.growth import CorrectionPattern, HourTotals, Window, build_patterns
from core.insights.patterns.sample import sample_corrections
from core.insights.settings import InsightSettings

logger = logging.getLogger(__name__)

SEED = 20_240_601  # clustering is seeded so that the same data always give the same patterns


@dataclass(frozen=True)
class PatternMining:
    window: Window
    corrections_sampled: int
    clusters: int
    silhouette: float | None
    seed: int
    patterns: tuple[CorrectionPattern, ...]


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def pattern_window(now: datetime, settings: InsightSettings) -> Window:
    end = floor_hour(now)  # whole hours: the current one is still filling
    return Window(
        start=end - timedelta(days=settings.pattern_window_days),
        end=end,
        recent_start=end - timedelta(days=settings.pattern_recent_days),
    )


def mine_patterns(session: Session, *, prompt_id: int, now: datetime, settings: InsightSettings) -> PatternMining:
    window = pattern_window(now, settings)
    samples = sample_corrections(
        session, prompt_id=prompt_id, start=window.start, end=window.end, max_rows=settings.pattern_max_rows
    )
    groups = aggregate(session, Scope(prompt_id, window.start, window.end), by=("hour",))
    hours = {g.key["hour"]: HourTotals(g.stats.executions, g.stats.corrections) for g in groups}
    if not samples:
        return PatternMining(window, 0, 0, None, SEED, ())
    features: dict[tuple[str, str], list[str]] = {}  # corrections repeat: diff each pair once
    for s in samples:
        if (s.original, s.corrected) not in features:
            features[(s.original, s.corrected)] = diff_features(s.original, s.corrected)
    bags = [features[(s.original, s.corrected)] for s in samples]
    clustering = cluster_corrections(bags, max_clusters=settings.pattern_max_clusters, seed=SEED)
    patterns = build_patterns(clustering, samples, hours, window, fdr=settings.pattern_fdr)
    logger.info("prompt %s: %d corrections sampled, %d patterns", prompt_id, len(samples), len(patterns))
    return PatternMining(window, len(samples), clustering.k, clustering.silhouette, SEED, tuple(patterns))
