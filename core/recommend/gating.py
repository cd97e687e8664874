"""Which weekly findings become recommendations (pure).

Section ADD / REMOVE: every section test of the run (all prompts) with a p-value enters one
Benjamini–Hochberg family; a test becomes a recommendation only if

* both groups have at least ``min_group_size`` executions in the strata the estimate used,
* its BH q-value (the smallest false discovery rate at which it would be declared) is at most the
  run's false discovery rate ``recommend_fdr`` (default 0.05), so at most about 5 % of the section
  recommendations of a run are expected to be false,
* its confidence, defined as 1 − q, is at least ``min_confidence`` (default 0.8; implied by the
  previous condition at the default FDR, kept as the governance floor automation is held to),
* it is applicable to the serving version: ADD (optional → required) needs an optional section with a
  positive effect; REMOVE (→ banned) a non-guardrail section with a negative effect. Guardrail
  sections are never recommended for removal, whatever the data say.

All section recommendations are observational ("observational — confirm by experiment").

Token budget: the suggestion of ``core.analytics.tokens`` when it rests on at least
``min_group_size`` high-accuracy executions and the budget is off by the prompt's
``budget_oversize_ratio`` (too large: budget ≥ ratio × the suggestion built from the *upper* bound
of the p95; too small: the p95's lower bound already reaches the budget). Not a test, so no q-value.

Best combination: the best section set (standardized lower bound) against the most used one, a z
test on their standardized means, BH over the run's combination tests, the same floors — and only
if every section in which the two sets differ passed its own section gate in that direction, so a
combination never smuggles in a section that was not shown to matter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from scipy import stats as sps

from core.analytics.sections import Combination
from core.insights.findings import estimate_json, interval_json, num
from core.recommend.analysis import PromptAnalysis, SectionTest
from core.stats import benjamini_hochberg

OBSERVATIONAL = "observational — confirm by experiment"
Z95 = 1.959964  # two-sided 95 % normal quantile


@dataclass(frozen=True)
class Proposal:
    prompt: str
    key: str
    kind: str  # section_add / section_remove / token_budget / section_combination
    title: str
    rationale: str
    observational: bool
    payload: dict[str, Any]
    evidence: dict[str, Any]
    q_value: float | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class Considered:
    """A finding that was examined and not recommended, with why (shown in the report)."""

    prompt: str
    subject: str
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Gated:
    proposals: list[Proposal]
    considered: list[Considered]
    section_q: dict[tuple[str, str], float]  # (prompt, section) -> q


def gate(analyses: Sequence[PromptAnalysis]) -> Gated:
    tests = [(a, t) for a in analyses for t in a.sections if math.isfinite(t.result.p_value)]
    q_values: list[float] = [float(q) for q in benjamini_hochberg([t.result.p_value for _, t in tests])]
    section_q = {(a.prompt, t.section_id): float(q) for (a, t), q in zip(tests, q_values, strict=True)}
    proposals: list[Proposal] = []
    considered: list[Considered] = []
    passed: dict[tuple[str, str], str] = {}  # (prompt, section) -> "add" / "remove"
    for a in analyses:
        for t in a.sections:
            outcome = _section(a, t, section_q.get((a.prompt, t.section_id)))
            if isinstance(outcome, Proposal):
                proposals.append(outcome)
                passed[(a.prompt, t.section_id)] = outcome.payload["action"]
            else:
                considered.append(outcome)
    for a in analyses:
        budget = _budget(a)
        if isinstance(budget, Proposal):
            proposals.append(budget)
        elif budget is not None:
            considered.append(budget)
    proposals_c, considered_c = _combinations(analyses, passed)
    return Gated(proposals + proposals_c, considered + considered_c, section_q)


def section_evidence(t: SectionTest, q: float | None) -> dict[str, Any]:
    r = t.result
    return {
        "section": t.section_id,
        "kind_in_version": t.kind,
        "effect": num(r.effect),
        "interval": interval_json(r.interval),
        "p_value": num(r.p_value),
        "q_value": num(q),
        "confidence": num(1 - q) if q is not None else None,
        "naive_effect": num(r.naive_effect),
        "n_included": r.n_included,
        "n_excluded": r.n_excluded,
        "strata_used": r.strata_used,
        "strata_dropped": r.strata_dropped,
        "method": r.method,
        "code": str(r.code),
        "observational": True,
        "label": OBSERVATIONAL,
    }


def _refusal(a: PromptAnalysis, t: SectionTest, q: float | None) -> str | None:
    """Why a section test is not recommended (None: it is); the first failed condition wins."""
    r, f = t.result, a.floors
    confidence = 1 - q if q is not None else 0.0
    q_value = math.nan if q is None else q  # the messages below are built eagerly
    helps = r.effect > 0
    conditions = (
        (q is None, f"not testable ({r.code})"),
        (t.kind == "guardrail", "guardrail section: never recommended for removal"),
        (min(r.n_included, r.n_excluded) < f.min_group_size, f"fewer than {f.min_group_size} executions in a group"),
        (q_value > f.max_q, f"q-value {q_value:.3f} above the false discovery rate {f.max_q}"),
        (confidence < f.min_confidence, f"confidence {confidence:.2f} below the floor {f.min_confidence}"),
        (helps and t.kind is None, "helps, but is not in the serving version"),
        (helps and t.kind != "optional", "helps, but is already required in the serving version"),
        (not helps and t.kind is None, "hurts, but is no longer in the serving version"),
    )
    return next((why for failed, why in conditions if failed), None)


def _section(a: PromptAnalysis, t: SectionTest, q: float | None) -> Proposal | Considered:
    r = t.result
    figures = section_evidence(t, q)
    refusal = _refusal(a, t, q)
    if refusal is not None or q is None:
        return Considered(a.prompt, t.section_id, refusal or "not testable", figures)
    add = r.effect > 0
    action, target = ("add", "required") if add else ("remove", "banned")
    return Proposal(
        prompt=a.prompt,
        key=f"section:{t.section_id}",
        kind=f"section_{action}",
        title=(
            f"Make section {t.section_id} required in {a.prompt} ({r.effect:+.3f} accuracy with it)"
            if add
            else f"Ban section {t.section_id} in {a.prompt} ({-r.effect:+.3f} accuracy without it)"
        ),
        rationale=(
            f"Calls {'with' if add else 'without'} {t.section_id} were {abs(r.effect):.3f} more accurate "
            f"(adjusted for version, segment and other sections; 95 % interval {r.interval.lower:+.3f} to "
            f"{r.interval.upper:+.3f}; q = {q:.3g}; n = {r.n_included} with, {r.n_excluded} without). "
            f"{OBSERVATIONAL.capitalize()}."
        ),
        observational=True,
        payload={"section": t.section_id, "action": action, "from": t.kind, "to": target, "version": a.version},
        evidence=figures,
        q_value=q,
        confidence=1 - q,
    )


def _budget(a: PromptAnalysis) -> Proposal | Considered | None:
    b, p95 = a.budget, a.p95_high
    if b is None or b.current_budget is None or p95 is None:
        return None
    figures = {
        "current_budget": b.current_budget,
        "suggested_budget": b.suggested_budget,
        "p95_high_accuracy": estimate_json(p95),
        "p95_all": num(b.p95_all),
        "high_accuracy_executions": b.high_accuracy_executions,
        "margin": b.margin,
    }
    if b.suggested_budget is None or b.high_accuracy_executions < a.floors.min_group_size:
        return Considered(
            a.prompt, "token_budget", f"fewer than {a.floors.min_group_size} high-accuracy calls", figures
        )
    too_large = b.current_budget >= a.budget_oversize_ratio * p95.interval.upper * (1 + b.margin)
    too_small = math.isfinite(p95.interval.lower) and p95.interval.lower >= b.current_budget
    if not (too_large or too_small):
        return None  # the budget fits: nothing to say
    return Proposal(
        prompt=a.prompt,
        key="token_budget",
        kind="token_budget",
        title=f"Set the token budget of {a.prompt} to {b.suggested_budget} (now {b.current_budget})",
        rationale=(
            f"The 95th percentile of prompt tokens among high-accuracy calls of {a.version} is {p95.value:.0f} "
            f"(95 % interval {p95.interval.lower:.0f}–{p95.interval.upper:.0f}, n = {p95.n}); "
            f"{b.suggested_budget} keeps a {b.margin:.0%} margin over it."
        ),
        observational=False,
        payload={"current": b.current_budget, "suggested": b.suggested_budget, "version": a.version},
        evidence=figures,
    )


def _combination_json(c: Combination) -> dict[str, Any]:
    return {"sections": list(c.section_ids), "executions": c.executions, "standardized": estimate_json(c.standardized)}


@dataclass(frozen=True)
class _CombinationTest:
    analysis: PromptAnalysis
    best: Combination
    reference: Combination
    delta: float
    se: float
    p_value: float


def _combination_test(a: PromptAnalysis) -> _CombinationTest | None:
    """Best set vs the most used one: z test on the standardized means (independent groups)."""
    best, ref = (a.combinations[0] if a.combinations else None), a.most_used
    if best is None or ref is None or best.section_ids == ref.section_ids:
        return None
    se = math.hypot(best.standardized.interval.width, ref.standardized.interval.width) / (2 * Z95)
    delta = best.standardized.value - ref.standardized.value
    if not (se > 0 and math.isfinite(se) and math.isfinite(delta)):
        return None
    return _CombinationTest(a, best, ref, delta, se, float(2 * sps.norm.sf(abs(delta) / se)))


def _combinations(
    analyses: Sequence[PromptAnalysis], passed: dict[tuple[str, str], str]
) -> tuple[list[Proposal], list[Considered]]:
    tests = [t for t in (_combination_test(a) for a in analyses) if t is not None]
    q_values: list[float] = [float(q) for q in benjamini_hochberg([t.p_value for t in tests])]
    proposals, considered = [], []
    for t, q in zip(tests, q_values, strict=True):
        a, best, ref = t.analysis, t.best, t.reference
        added = sorted(set(best.section_ids) - set(ref.section_ids))
        dropped = sorted(set(ref.section_ids) - set(best.section_ids))
        figures = {
            "best": _combination_json(best),
            "most_used": _combination_json(ref),
            "delta": num(t.delta),
            "interval": {"lower": num(t.delta - Z95 * t.se), "upper": num(t.delta + Z95 * t.se), "level": 0.95},
            "p_value": num(t.p_value),
            "q_value": num(q),
            "observational": True,
            "label": OBSERVATIONAL,
        }
        unproven = [s for s in added if passed.get((a.prompt, s)) != "add"]
        unproven += [s for s in dropped if passed.get((a.prompt, s)) != "remove"]
        small = min(best.executions, ref.executions) < a.floors.min_group_size
        if unproven:
            why = "differs by sections without their own evidence: " + ", ".join(unproven)
            considered.append(Considered(a.prompt, "section_combination", why, figures))
            continue
        if t.delta <= 0 or small or q > a.floors.max_q or 1 - q < a.floors.min_confidence:
            why = "not better than the most used set with enough executions and confidence"
            considered.append(Considered(a.prompt, "section_combination", why, figures))
            continue
        proposals.append(
            Proposal(
                prompt=a.prompt,
                key="section_combination",
                kind="section_combination",
                title=f"Use sections {' + '.join(best.section_ids)} in {a.prompt} ({t.delta:+.3f} accuracy)",
                rationale=(
                    f"The best section set scores {best.standardized.value:.3f} (standardized to the segment mix) "
                    f"against {ref.standardized.value:.3f} for the most used set; q = {q:.3g}. "
                    f"{OBSERVATIONAL.capitalize()}."
                ),
                observational=True,
                payload={"sections": list(best.section_ids), "added": added, "dropped": dropped, "version": a.version},
                evidence=figures,
                q_value=q,
                confidence=1 - q,
            )
        )
    return proposals, considered
