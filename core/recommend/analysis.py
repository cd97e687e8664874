"""One prompt's weekly analysis (reads rollups, writes nothing): section tests, token budget, combinations.

Window: the last ``recommend_window_days`` (per prompt, default 28) before ``now``, all labels.
Section effects are adjusted within strata of (version, segment, the other included sections)
(``core.analytics.sections``) and are observational. The floors (minimum group size, confidence)
are resolved here from the prompt's settings or the global defaults, so the gating is pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core.analytics.cells import Scope, total
from core.analytics.quantiles import quantile_interval
from core.analytics.sections import Combination, section_combinations, section_effects
from core.analytics.summary import Summary, summarize
from core.analytics.tokens import TokenBudgetSuggestion, suggest_budget
from core.config import Settings
from core.errors import NotFoundError
from core.insights.settings import InsightSettings
from core.insights.versions import serving_version
from core.registry.prompts import get_prompt
from core.registry.settings import prompt_settings
from core.registry.versions import content_of
from core.stats import EffectResult, Estimate

TOP_COMBINATIONS = 5


@dataclass(frozen=True)
class SectionTest:
    section_id: str
    kind: str | None  # its kind in the serving version: guardrail / required / optional; None: not in it
    result: EffectResult  # accuracy(included) − accuracy(excluded), adjusted, observational


@dataclass(frozen=True)
class Floors:
    min_group_size: int
    min_confidence: float  # confidence := 1 − q (Benjamini–Hochberg q-value over the run's tests)
    max_q: float  # the false discovery rate the run's BH family is controlled at


@dataclass(frozen=True)
class PromptAnalysis:
    prompt: str
    prompt_id: int
    version: str  # the serving version (production label, else the busiest): what recommendations change
    version_id: int
    start: datetime
    end: datetime
    floors: Floors
    budget_oversize_ratio: float
    summary: Summary
    sections: tuple[SectionTest, ...]
    budget: TokenBudgetSuggestion | None
    p95_high: Estimate | None  # p95 of prompt tokens among high-accuracy calls, with its interval
    combinations: tuple[Combination, ...]  # best first (standardized lower bound), at least min_group_size each
    most_used: Combination | None  # the section set with most executions (the reference for the best one)


def floors_for(insight_settings: InsightSettings, settings: Settings) -> Floors:
    return Floors(
        min_group_size=insight_settings.recommend_min_group_size or settings.automation_min_sample_size,
        min_confidence=insight_settings.recommend_min_confidence or settings.automation_min_confidence,
        max_q=settings.recommend_fdr,
    )


def analyse_prompt(session: Session, *, prompt_name: str, now: datetime, settings: Settings) -> PromptAnalysis:
    prompt = get_prompt(session, name=prompt_name)
    config = prompt_settings(prompt.settings).insights
    floors = floors_for(config, settings)
    start = now - timedelta(days=config.recommend_window_days)
    version = serving_version(session, prompt_id=prompt.id, start=start, end=now)
    if version is None:
        raise NotFoundError(f"prompt '{prompt_name}' has no production label and no traffic in the window")
    content = content_of(version)
    policy = content.effective_policy()
    kinds = {s.id: ("guardrail" if s.kind == "guardrail" else "required") for s in content.sections}
    kinds |= dict.fromkeys(policy.optional, "optional")
    scope = Scope(prompt.id, start, now)
    effects = section_effects(session, scope)
    serving = scope.with_versions(version.id)
    stats = total(session, serving, histograms=("prompt_tokens_hist", "prompt_tokens_hist_high"))
    high = stats.histograms.get("prompt_tokens_hist_high")
    combos = section_combinations(session, serving, min_n=floors.min_group_size)
    return PromptAnalysis(
        prompt=prompt.name,
        prompt_id=prompt.id,
        version=version.version,
        version_id=version.id,
        start=start,
        end=now,
        floors=floors,
        budget_oversize_ratio=config.budget_oversize_ratio,
        summary=summarize(total(session, scope, histograms=("latency_hist", "prompt_tokens_hist"))),
        sections=tuple(SectionTest(e.section_id, kinds.get(e.section_id), e.result) for e in effects),
        budget=(
            suggest_budget(stats, current_budget=content.token_budget, margin=config.budget_margin, min_n=1)
            if stats.executions
            else None
        ),
        p95_high=quantile_interval(high, 0.95) if high else None,
        combinations=tuple(combos[:TOP_COMBINATIONS]),
        most_used=max(combos, key=lambda c: (c.executions, c.section_ids)) if combos else None,
    )
