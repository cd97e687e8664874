"""Hand-made weekly analyses: section tests, budgets and combinations with exactly the figures a test needs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.analytics.cells import CellStats
from core.analytics.sections import Combination
from core.analytics.summary import summarize
from core.analytics.tokens import TokenBudgetSuggestion
from core.recommend.analysis import Floors, PromptAnalysis, SectionTest
from core.stats import Code, EffectResult, Estimate, Interval, MeanStats

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def effect(value: float, p: float, *, n: int = 1000, n_excluded: int | None = None) -> EffectResult:
    half = abs(value) + 0.01
    return EffectResult(
        effect=value,
        interval=Interval(value - half, value + half, 0.95),
        p_value=p,
        naive_effect=value,
        n_included=n,
        n_excluded=n if n_excluded is None else n_excluded,
        strata_used=4,
        strata_dropped=0,
        code=Code.OK,
        method="post_stratified",
    )


def section(section_id: str, kind: str | None, value: float, p: float, **kw: Any) -> SectionTest:
    return SectionTest(section_id, kind, effect(value, p, **kw))


def estimate(value: float, half: float, n: int) -> Estimate:
    return Estimate(value, Interval(value - half, value + half, 0.95), n, Code.OK)


def combination(sections: tuple[str, ...], value: float, n: int = 2000, half: float = 0.005) -> Combination:
    return Combination(sections, n, estimate(value, half, n), estimate(value, half, n), 4)


def analysis(prompt: str = "p", *, prompt_id: int = 1, version_id: int = 1, **changes: Any) -> PromptAnalysis:
    base = PromptAnalysis(
        prompt=prompt,
        prompt_id=prompt_id,
        version="1.0.0",
        version_id=version_id,
        start=NOW - timedelta(days=28),
        end=NOW,
        floors=Floors(min_group_size=100, min_confidence=0.8, max_q=0.05),
        budget_oversize_ratio=2.0,
        summary=summarize(CellStats(executions=5000, accuracy=MeanStats(5000, 4500.0, 4100.0))),
        sections=(),
        budget=None,
        p95_high=None,
        combinations=(),
        most_used=None,
    )
    return replace(base, **changes)


def budget(current: int, suggested: int, p95: float, *, n_high: int = 2000) -> dict[str, Any]:
    suggestion = TokenBudgetSuggestion(
        current_budget=current,
        executions=n_high * 2,
        high_accuracy_executions=n_high,
        p95_all=p95,
        p95_high_accuracy=p95,
        suggested_budget=suggested,
        margin=0.2,
        utilisation=p95 / current,
    )
    return {"budget": suggestion, "p95_high": estimate(p95, p95 * 0.02, n_high)}
