"""The analysis object the insight rules run over: everything about one prompt, read once, then frozen.

Everything here reads rollups (``core.analytics``) except pattern mining, which samples correction
texts (``core.insights.patterns.sample``, the engine's one bounded raw read). A part that fails
(e.g. pattern mining) is recorded in ``errors`` and left ``None``; the rules that need it are then not
evaluated, so their open insights are neither updated nor auto-resolved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.analytics.cells import Scope, aggregate, total
from core.analytics.quantiles import quantile_interval
from core.analytics.summary import Summary, summarize
from core.analytics.tokens import TokenBudgetSuggestion, suggest_budget
from core.analytics.versions import VersionComparison, compare_stats
from core.db.models.registry import Prompt
from core.insights.patterns.mine import PatternMining, mine_patterns
from core.insights.settings import InsightSettings
from core.insights.versions import LabelMoveInfo, latest_moves, serving_version
from core.registry.settings import prompt_settings
from core.stats import Estimate

logger = logging.getLogger(__name__)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class DayFigures:
    day: date
    executions: int
    accuracy: float | None  # mean effective accuracy
    correction_rate: float | None
    failure_rate: float | None


@dataclass(frozen=True)
class RegressionCheck:
    """The version a label now points at against the one it replaced, before vs after the move."""

    move: LabelMoveInfo
    baseline_start: datetime
    candidate_end: datetime
    comparison: VersionComparison  # candidate − baseline, always-valid


@dataclass(frozen=True)
class BudgetCheck:
    version: str
    suggestion: TokenBudgetSuggestion
    p95_high: Estimate  # p95 of prompt tokens among high-accuracy calls, order-statistic interval


@dataclass(frozen=True)
class PromptSnapshot:
    prompt: str
    prompt_id: int
    now: datetime
    settings: InsightSettings
    window_start: datetime  # the recent window of the level rules: [window_start, now)
    summary: Summary | None
    latency_p95: Estimate | None  # ms, order-statistic interval
    today: date  # in the settings' time zone; days before it are complete
    daily: tuple[DayFigures, ...] = ()
    regressions: tuple[RegressionCheck, ...] | None = None
    budget: BudgetCheck | None = None
    patterns: PatternMining | None = None
    errors: dict[str, str] = field(default_factory=dict)


def build_snapshot(session: Session, *, prompt: Prompt, now: datetime, tz: str = "UTC") -> PromptSnapshot:
    settings = prompt_settings(prompt.settings).insights
    start = now - timedelta(days=settings.window_days)
    recent = total(session, Scope(prompt.id, start, now), histograms=("latency_hist",))
    errors: dict[str, str] = {}
    parts: dict[str, Callable[[], object]] = {
        "daily": lambda: _daily(session, prompt.id, now, settings, tz),
        "regressions": lambda: _regressions(session, prompt, now, settings),
        "budget": lambda: _budget(session, prompt, start, now, settings),
        "patterns": lambda: mine_patterns(session, prompt_id=prompt.id, now=now, settings=settings),
    }
    values: dict[str, object] = {}
    for name, build in parts.items():
        try:
            with session.begin_nested():  # a failed query must not poison the caller's transaction
                values[name] = build()
        except Exception as exc:  # isolate: the rules that need this part are skipped
            logger.exception("prompt %s: %s failed", prompt.name, name)
            errors[name] = f"{type(exc).__name__}: {exc}"
    latency = recent.histograms.get("latency_hist")
    return PromptSnapshot(
        prompt=prompt.name,
        prompt_id=prompt.id,
        now=now,
        settings=settings,
        window_start=start,
        summary=summarize(recent) if recent.executions else None,
        latency_p95=quantile_interval(latency, 0.95) if latency else None,
        today=now.astimezone(ZoneInfo(tz)).date(),
        daily=values.get("daily", ()),  # type: ignore[arg-type]
        regressions=values.get("regressions"),  # type: ignore[arg-type]
        budget=values.get("budget"),  # type: ignore[arg-type]
        patterns=values.get("patterns"),  # type: ignore[arg-type]
        errors=errors,
    )


def _daily(session: Session, prompt_id: int, now: datetime, s: InsightSettings, tz: str) -> tuple[DayFigures, ...]:
    """Complete days (in ``tz``) before today; no histograms are read (they dominate a read's cost)."""
    days = s.anomaly_window_days + s.anomaly_recent_days + 1
    today = now.astimezone(ZoneInfo(tz)).date()
    groups = aggregate(session, Scope(prompt_id, now - days * DAY, now), by=("day",), tz=tz)
    return tuple(
        DayFigures(
            day=g.key["day"],
            executions=g.stats.executions,
            accuracy=g.stats.accuracy.mean if g.stats.accuracy.n else None,
            correction_rate=g.stats.correction_rate.p if g.stats.executions else None,
            failure_rate=g.stats.failure_rate.p if g.stats.executions else None,
        )
        for g in groups
        if g.key["day"] < today
    )


def _regressions(session: Session, prompt: Prompt, now: datetime, s: InsightSettings) -> tuple[RegressionCheck, ...]:
    """The latest move of each watched label against the version it replaced.

    The candidate window stops ``regression_watch_days`` after the move, so the verdict freezes
    then and stays until the label moves again (the finding's key names the move).
    """
    checks = []
    for move in latest_moves(session, prompt_id=prompt.id, labels=s.regression_labels, before=now):
        if move.from_version_id is None:
            continue
        baseline_start = move.moved_at - timedelta(days=s.regression_baseline_days)
        candidate_end = min(now, move.moved_at + timedelta(days=s.regression_watch_days))
        baseline = Scope(prompt.id, baseline_start, move.moved_at, label=move.label)
        candidate = Scope(prompt.id, move.moved_at, candidate_end, label=move.label)
        comparison = compare_stats(
            total(session, baseline.with_versions(move.from_version_id)),
            total(session, candidate.with_versions(move.to_version_id)),
        )
        checks.append(RegressionCheck(move, baseline_start, candidate_end, comparison))
    return tuple(checks)


def _budget(session: Session, prompt: Prompt, start: datetime, now: datetime, s: InsightSettings) -> BudgetCheck | None:
    version = serving_version(session, prompt_id=prompt.id, start=start, end=now)
    if version is None or version.content.get("token_budget") is None:
        return None
    stats = total(
        session,
        Scope(prompt.id, start, now).with_versions(version.id),
        histograms=("prompt_tokens_hist", "prompt_tokens_hist_high"),
    )
    suggestion = suggest_budget(stats, current_budget=int(version.content["token_budget"]), margin=s.budget_margin)
    high = stats.histograms.get("prompt_tokens_hist_high") or ()
    return BudgetCheck(version.version, suggestion, quantile_interval(high, 0.95))
