"""Hand-made analysis objects for the pure rule tests: snapshots with exactly the figures a test needs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from core.analytics.cells import CellStats
from core.analytics.quantiles import quantile_interval
from core.analytics.summary import summarize
from core.analytics.tokens import suggest_budget
from core.analytics.versions import compare_stats
from core.insights.settings import InsightSettings
from core.insights.snapshot import BudgetCheck, DayFigures, PromptSnapshot, RegressionCheck
from core.insights.versions import LabelMoveInfo
from core.stats import MeanStats
from core.tracking.histogram import histogram

NOW = datetime(2026, 3, 2, tzinfo=UTC)
TODAY = date(2026, 3, 2)


def cells(n: int, mean: float, *, sd: float = 0.1, seed: int = 0, corrections: int = 0, failures: int = 0) -> CellStats:
    rng = np.random.default_rng(seed)
    values = np.clip(rng.normal(mean, sd, n), 0, 1)
    return CellStats(executions=n, accuracy=MeanStats.from_array(values), corrections=corrections, failures=failures)


def snapshot(**changes: Any) -> PromptSnapshot:
    base = PromptSnapshot(
        prompt="p",
        prompt_id=1,
        now=NOW,
        settings=InsightSettings(),
        window_start=NOW - timedelta(days=7),
        summary=summarize(cells(2000, 0.9)),
        latency_p95=None,
        today=TODAY,
    )
    return replace(base, **changes)


def days(values: list[float], *, metric: str = "accuracy", executions: int = 200) -> tuple[DayFigures, ...]:
    """Complete days ending yesterday; the other metrics at harmless constants."""
    start = TODAY - timedelta(days=len(values))
    out = []
    for i, value in enumerate(values):
        figures = {"accuracy": 0.9, "correction_rate": 0.1, "failure_rate": 0.01, metric: value}
        out.append(DayFigures(day=start + timedelta(days=i), executions=executions, **figures))
    return tuple(out)


def regression(baseline: CellStats, candidate: CellStats, *, moved_days_ago: float = 5) -> RegressionCheck:
    moved = NOW - timedelta(days=moved_days_ago)
    move = LabelMoveInfo("production", "1.0.0", 1, "1.1.0", 2, moved, "set")
    return RegressionCheck(move, moved - timedelta(days=14), NOW, compare_stats(baseline, candidate))


def budget(current: int, tokens: list[float], *, version: str = "1.0.0") -> BudgetCheck:
    hist = tuple(histogram(tokens))
    stats = CellStats(executions=len(tokens), histograms={"prompt_tokens_hist": hist, "prompt_tokens_hist_high": hist})
    return BudgetCheck(version, suggest_budget(stats, current_budget=current), quantile_interval(hist, 0.95))
