"""What a rule produces, and the JSON shapes of the figures it cites (evidence the console can plot)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from core.stats import Comparison, Estimate, Interval, SequentialResult, TrendResult

if TYPE_CHECKING:
    from core.insights.snapshot import PromptSnapshot

Priority = Literal["critical", "high", "medium", "low"]
Category = Literal["accuracy", "regression", "anomaly", "corrections", "cost", "latency"]
PRIORITY_RANK: dict[str, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@dataclass(frozen=True)
class Finding:
    """One condition a rule found. ``key`` is its stable identity (one insight per prompt and key)."""

    rule: str
    key: str
    category: Category
    priority: Priority
    title: str
    description: str
    action_items: tuple[str, ...]
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    """A row of the rule table: data plus a pure check over a prompt's snapshot.

    ``check`` returns the findings, or None when it cannot judge (missing data): then the open
    insights of the rule are left as they are instead of being resolved. ``thresholds`` names the
    ``InsightSettings`` fields the rule reads (per-prompt, with defaults).
    """

    id: str
    category: Category
    default_priority: Priority
    summary: str
    thresholds: tuple[str, ...]
    check: Callable[[PromptSnapshot, Rule], list[Finding] | None]

    def priority(self, snapshot: PromptSnapshot) -> Priority:
        """The prompt's override for this rule, else its default."""
        return snapshot.settings.priorities.get(self.id, self.default_priority)


def num(value: float | None, digits: int = 6) -> float | None:
    """A JSON-safe number: None for missing / nan / inf."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def interval_json(interval: Interval) -> dict[str, Any]:
    return {"lower": num(interval.lower), "upper": num(interval.upper), "level": interval.level}


def estimate_json(estimate: Estimate) -> dict[str, Any]:
    return {
        "value": num(estimate.value),
        **interval_json(estimate.interval),
        "n": estimate.n,
        "code": str(estimate.code),
    }


def comparison_json(result: Comparison) -> dict[str, Any]:
    return {
        "delta": num(result.delta),
        "interval": interval_json(result.interval),
        "p_value": num(result.p_value),
        "relative_lift": num(result.relative_lift),
        "relative_interval": interval_json(result.relative_interval),
        "n_control": result.n_control,
        "n_treatment": result.n_treatment,
        "method": result.method,
        "code": str(result.code),
    }


def sequential_json(result: SequentialResult) -> dict[str, Any]:
    return {
        "delta": num(result.delta),
        "interval": interval_json(result.interval),
        "p_value": num(result.p_value),
        "significant": result.significant,
        "n_control": result.n_control,
        "n_treatment": result.n_treatment,
        "method": "always-valid confidence sequence (Waudby-Smith et al. 2023)",
        "horizon": result.tuning,
        "code": str(result.code),
    }


def trend_json(result: TrendResult) -> dict[str, Any]:
    return {
        "slope_per_day": num(result.slope_per_step),
        "interval": interval_json(result.interval),
        "p_value": num(result.p_value),
        "n": result.n,
        "method": result.method,
        "code": str(result.code),
    }


def line_chart(x: Sequence[str], series: dict[str, Sequence[float | None]], *, y: str, **extra: Any) -> dict[str, Any]:
    """Chart data: one x axis (ISO days) and named series of equal length (None: no value)."""
    return {
        "type": "line",
        "x": list(x),
        "y_label": y,
        "series": {name: [num(v) for v in values] for name, values in series.items()},
        **extra,
    }


def pct(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{100 * value:.1f} %"
