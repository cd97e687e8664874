"""Rule checks about what users fix and what calls cost: growing corrections, oversized budget, latency (pure)."""

from __future__ import annotations

import math

from core.insights.findings import (
    Finding,
    Rule,
    comparison_json,
    estimate_json,
    line_chart,
    num,
    pct,
    trend_json,
)
from core.insights.patterns.growth import CorrectionPattern
from core.insights.snapshot import PromptSnapshot


def pattern_json(p: CorrectionPattern) -> dict[str, object]:
    return {
        "key": p.key,
        "label": p.label,
        "terms": list(p.terms),
        "sampled": p.sampled,
        "estimated_corrections": num(p.estimated, 1),
        "share_of_corrections": num(p.share_of_corrections),
        "share_this_week": estimate_json(p.recent),
        "share_before": estimate_json(p.earlier),
        "growth": comparison_json(p.growth),
        "q_value": num(p.q_value),
        "anomalous_this_week": p.anomalous_this_week,
        "mean_loss": num(p.mean_loss),
        "severity": num(p.severity),
        "trend": trend_json(p.trend),
        "examples": [{"original": o, "corrected": c} for o, c in p.examples],
    }


def _grew_enough(p: CorrectionPattern, min_growth: float) -> bool:
    if not p.growing:
        return False
    lower = p.growth.relative_interval.lower
    if math.isfinite(lower):
        return lower > min_growth
    return p.growth.interval.lower > 0  # a pattern absent before: no relative lift, the difference decides


def growing_pattern(snapshot: PromptSnapshot, rule: Rule) -> list[Finding] | None:
    """A correction pattern whose share of calls this week is significantly above the weeks before.

    Decided by the patterns' two-proportion tests (this week vs the rest of the window) after
    Benjamini–Hochberg over the prompt's patterns (q ≤ ``pattern_fdr``), and the relative increase's
    lower bound above ``pattern_min_growth``; the Theil–Sen trend is shown, not used to decide.
    """
    mining = snapshot.patterns
    if mining is None:
        return None
    s = snapshot.settings
    findings = []
    for p in mining.patterns:
        if not _grew_enough(p, s.pattern_min_growth):
            continue
        lift = p.growth.relative_lift
        findings.append(
            Finding(
                rule=rule.id,
                key=f"corrections:{p.key}",
                category=rule.category,
                priority=rule.priority(snapshot),
                title=f"Growing correction pattern: {p.label}",
                description=(
                    f"Corrections like “{p.examples[0][0]}” → “{p.examples[0][1]}” were {pct(p.recent.value)} of "
                    f"calls over the last {s.pattern_recent_days} days against {pct(p.earlier.value)} before "
                    f"({'+' if lift >= 0 else ''}{pct(lift) if math.isfinite(lift) else 'new'}; q = {p.q_value:.2g}). "
                    f"Each costs {p.mean_loss:.2f} accuracy: {p.severity:.4f} accuracy lost per call this week."
                ),
                action_items=(
                    "Read the examples: what do users keep fixing?",
                    "Look for a client release, a version or an input change that started it.",
                    "Fix the prompt (an instruction, an example or a section) and watch the pattern shrink.",
                ),
                evidence={
                    "pattern": pattern_json(p),
                    "window": [mining.window.start.isoformat(), mining.window.end.isoformat()],
                    "recent_from": mining.window.recent_start.isoformat(),
                    "corrections_sampled": mining.corrections_sampled,
                    "chart": line_chart(
                        [d for d, _ in p.daily], {"share_of_calls": [v for _, v in p.daily]}, y="share of calls"
                    ),
                },
            )
        )
    return findings


def oversized_budget(snapshot: PromptSnapshot, rule: Rule) -> list[Finding] | None:
    """The serving version's token budget is far above what well-scored calls use.

    Conservative: the budget is compared with the suggestion built from the *upper* confidence
    bound of the p95 of prompt tokens among high-accuracy calls (plus the margin), and must be at
    least ``budget_oversize_ratio`` times that.
    """
    check = snapshot.budget
    if check is None or check.suggestion.suggested_budget is None or check.suggestion.current_budget is None:
        return None
    upper = check.p95_high.interval.upper
    if not math.isfinite(upper):
        return None
    generous = upper * (1 + check.suggestion.margin)
    current = check.suggestion.current_budget
    ratio = current / generous
    if ratio < snapshot.settings.budget_oversize_ratio:
        return []
    suggested = check.suggestion.suggested_budget
    return [
        Finding(
            rule=rule.id,
            key=f"cost:token_budget:{check.version}",
            category=rule.category,
            priority=rule.priority(snapshot),
            title=f"Token budget {current} is {current / suggested:.1f}× what well-scored calls need ({suggested})",
            description=(
                f"Version {check.version} allows {current} prompt tokens; the 95th percentile among high-accuracy "
                f"calls is {check.p95_high.value:.0f} (95 % interval {check.p95_high.interval.lower:.0f}–{upper:.0f}, "
                f"n = {check.p95_high.n}). A budget of {suggested} keeps a {check.suggestion.margin:.0%} margin."
            ),
            action_items=(
                f"Lower the token budget of {snapshot.prompt} to about {suggested} (see the weekly recommendations).",
                "Check that no section relies on the headroom (long optional context).",
            ),
            evidence={
                "version": check.version,
                "current_budget": current,
                "suggested_budget": suggested,
                "p95_high_accuracy": estimate_json(check.p95_high),
                "p95_all": num(check.suggestion.p95_all),
                "utilisation": num(check.suggestion.utilisation),
                "ratio_to_upper_suggestion": num(ratio, 3),
                "chart": {
                    "type": "bar",
                    "x": ["budget", "suggested", "p95 (high accuracy)", "p95 (all)"],
                    "values": [current, suggested, num(check.p95_high.value), num(check.suggestion.p95_all)],
                },
            },
        )
    ]


def slow_p95(snapshot: PromptSnapshot, rule: Rule) -> list[Finding] | None:
    """The latency p95 over the recent window is above the prompt's target (its lower bound is)."""
    target = snapshot.settings.latency_p95_target_ms
    p95 = snapshot.latency_p95
    if target is None or p95 is None or not math.isfinite(p95.interval.lower):
        return None
    if p95.interval.lower <= target:
        return []
    recent = f"p95 (last {snapshot.settings.window_days} days)"
    return [
        Finding(
            rule=rule.id,
            key="latency:p95",
            category=rule.category,
            priority=rule.priority(snapshot),
            title=f"Latency p95 {p95.value / 1000:.1f} s is above the {target / 1000:.1f} s target",
            description=(
                f"Over the last {snapshot.settings.window_days} days the 95th percentile latency of {snapshot.prompt} "
                f"was {p95.value:.0f} ms (95 % interval {p95.interval.lower:.0f}–{p95.interval.upper:.0f} ms, "
                f"n = {p95.n}), above the target of {target:.0f} ms."
            ),
            action_items=(
                "Check the model and max_tokens of the serving version: long completions dominate latency.",
                "Look for timeouts in the failures; consider a faster model for this prompt.",
            ),
            evidence={
                "latency_p95_ms": estimate_json(p95),
                "target_ms": target,
                "chart": {
                    "type": "bar",
                    "title": "Latency p95 against the target (ms; 95 % interval)",
                    "x": [recent, "target"],
                    "values": [num(p95.value), target],
                    "interval": {"bar": recent, "evidence": "latency_p95_ms"},
                    "y_label": "ms",
                },
            },
        )
    ]
