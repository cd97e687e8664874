"""What operators and managers read about a prompt: figures with intervals, from rollups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from core.analytics.cells import CellStats, Histogram, Scope, aggregate, total
from core.stats import Estimate, t_interval, wilson_interval


@dataclass(frozen=True)
class Summary:
    executions: int
    accuracy: Estimate  # mean effective accuracy with a t interval (over executions that have one)
    correction_rate: Estimate  # Wilson interval
    failure_rate: Estimate  # Wilson interval
    mean_rating: float | None
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    mean_prompt_tokens: float | None
    prompt_tokens_p95: float | None
    prompt_tokens_max: int


def summarize(stats: CellStats, *, level: float = 0.95) -> Summary:
    """Pure: the reader-facing figures of any sum of rollup cells."""
    return Summary(
        executions=stats.executions,
        accuracy=t_interval(stats.accuracy, level),
        correction_rate=wilson_interval(stats.correction_rate, level),
        failure_rate=wilson_interval(stats.failure_rate, level),
        mean_rating=stats.mean_rating,
        latency_p50_ms=stats.quantile("latency_hist", 0.5),
        latency_p95_ms=stats.quantile("latency_hist", 0.95),
        mean_prompt_tokens=stats.mean_prompt_tokens,
        prompt_tokens_p95=stats.quantile("prompt_tokens_hist", 0.95),
        prompt_tokens_max=stats.prompt_tokens_max,
    )


def prompt_summary(session: Session, scope: Scope) -> Summary:
    return summarize(total(session, scope, histograms=("latency_hist", "prompt_tokens_hist")))


@dataclass(frozen=True)
class DailyPoint:
    day: date
    stats: CellStats
    summary: Summary


def daily_series(session: Session, scope: Scope, *, tz: str = "UTC", with_tokens: bool = False) -> list[DailyPoint]:
    """One point per day that has data (days in ``tz``), oldest first."""
    hists: tuple[Histogram, ...] = ("latency_hist", "prompt_tokens_hist") if with_tokens else ("latency_hist",)
    return [
        DailyPoint(day=group.key["day"], stats=group.stats, summary=summarize(group.stats))
        for group in aggregate(session, scope, by=("day",), histograms=hists, tz=tz)
    ]
