"""The rule table, and running it over one prompt's snapshot.

Each rule is data (id, category, default priority, the per-prompt thresholds it reads) plus a pure
check (``checks_quality``, ``checks_usage``). A rule that raises is recorded and skipped; the others
go on. A prompt can override a rule's priority or disable it in ``PromptSettings.insights``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.insights.checks_quality import anomalous_day, low_accuracy, regression_after_move
from core.insights.checks_usage import growing_pattern, oversized_budget, slow_p95
from core.insights.findings import Finding, Rule
from core.insights.snapshot import PromptSnapshot

logger = logging.getLogger(__name__)

RULES: tuple[Rule, ...] = (
    Rule(
        id="low_accuracy",
        category="accuracy",
        default_priority="high",
        summary="The recent accuracy interval's upper bound is below the prompt's threshold.",
        thresholds=("accuracy_threshold", "window_days"),
        check=low_accuracy,
    ),
    Rule(
        id="regression_after_move",
        category="regression",
        default_priority="critical",
        summary="The version a label moved to is worse than the one it replaced (always-valid sequential test).",
        thresholds=("regression_labels", "regression_watch_days", "regression_baseline_days"),
        check=regression_after_move,
    ),
    Rule(
        id="anomalous_day",
        category="anomaly",
        default_priority="high",
        summary="A recent day's accuracy, correction or failure rate is far from its trailing history (robust z).",
        thresholds=(
            "anomaly_threshold",
            "anomaly_window_days",
            "anomaly_min_history",
            "anomaly_recent_days",
            "anomaly_min_daily_executions",
        ),
        check=anomalous_day,
    ),
    Rule(
        id="growing_correction_pattern",
        category="corrections",
        default_priority="medium",
        summary="A correction pattern's share of calls this week is significantly above the weeks before.",
        thresholds=("pattern_window_days", "pattern_recent_days", "pattern_fdr", "pattern_min_growth"),
        check=growing_pattern,
    ),
    Rule(
        id="oversized_token_budget",
        category="cost",
        default_priority="medium",
        summary="The token budget is far above the p95 of prompt tokens among well-scored calls.",
        thresholds=("budget_oversize_ratio", "budget_margin", "window_days"),
        check=oversized_budget,
    ),
    Rule(
        id="latency_p95_above_target",
        category="latency",
        default_priority="medium",
        summary="The recent latency p95's lower confidence bound is above the prompt's target.",
        thresholds=("latency_p95_target_ms", "window_days"),
        check=slow_p95,
    ),
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


@dataclass(frozen=True)
class RuleRun:
    findings: tuple[Finding, ...]
    evaluated: frozenset[str]  # rules that could judge: their insights absent from findings have cleared
    errors: dict[str, str] = field(default_factory=dict)


def run_rules(snapshot: PromptSnapshot, rules: tuple[Rule, ...] = RULES) -> RuleRun:
    findings: list[Finding] = []
    evaluated: set[str] = set()
    errors: dict[str, str] = {}
    disabled = set(snapshot.settings.disabled_rules)
    for rule in rules:
        if rule.id in disabled:
            continue
        try:
            result = rule.check(snapshot, rule)
        except Exception as exc:  # isolate: one broken rule does not stop the others
            logger.exception("rule %s failed on %s", rule.id, snapshot.prompt)
            errors[rule.id] = f"{type(exc).__name__}: {exc}"
            continue
        if result is not None:
            evaluated.add(rule.id)
            findings.extend(result)
    return RuleRun(tuple(findings), frozenset(evaluated), errors)
