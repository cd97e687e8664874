"""Per-prompt thresholds of the insight rules and the recommendation floors (``PromptSettings.insights``).

Every field has a default, so a prompt without stored insight settings gets them all. Set them with
``update_prompt_settings(..., changes={"insights": {...}})``: the object given is merged key by key into
the stored one, so one threshold can change alone and the others keep their values.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Priority = Literal["critical", "high", "medium", "low"]


class InsightSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # --- level rules (accuracy, latency, cost) over the recent window ---
    window_days: int = Field(default=7, ge=1, le=90, description="Recent window of the level rules, in days.")
    accuracy_threshold: float = Field(
        default=0.8, ge=0, le=1, description="Low accuracy: the 95 % interval's upper bound is below this."
    )
    latency_p95_target_ms: float | None = Field(
        default=10_000.0, gt=0, description="Latency: the p95's lower confidence bound is above this (None: off)."
    )
    budget_oversize_ratio: float = Field(
        default=2.0, gt=1, description="Cost: the token budget is at least this many times the suggested budget."
    )
    budget_margin: float = Field(default=0.2, ge=0, le=2, description="Margin over the p95 of well-scored calls.")
    # --- anomalies in the daily series ---
    anomaly_threshold: float = Field(default=3.5, gt=0, description="Robust z beyond which a day is anomalous.")
    anomaly_window_days: int = Field(default=28, ge=7, le=120, description="Trailing history of each day.")
    anomaly_min_history: int = Field(default=14, ge=3, description="Days of history needed before a day is scored.")
    anomaly_recent_days: int = Field(default=7, ge=1, description="Only complete days this recent are reported.")
    anomaly_min_daily_executions: int = Field(default=20, ge=1, description="Smaller days are not scored.")
    # --- regression after a label move ---
    regression_labels: list[str] = Field(default_factory=lambda: ["production"])
    regression_watch_days: int = Field(
        default=28, ge=1, description="Days after a move whose traffic of the new version is compared with the old."
    )
    regression_baseline_days: int = Field(
        default=14, ge=1, description="Days of the replaced version's traffic before the move used as the baseline."
    )
    # --- correction patterns ---
    pattern_window_days: int = Field(default=28, ge=8, le=90, description="Days of corrections mined for patterns.")
    pattern_recent_days: int = Field(default=7, ge=1, description="'This week' in 'this week vs the weeks before'.")
    pattern_max_rows: int = Field(default=6000, ge=100, le=50_000, description="Cap on correction texts read.")
    pattern_max_clusters: int = Field(default=8, ge=2, le=30)
    pattern_fdr: float = Field(
        default=0.01, gt=0, lt=1, description="Benjamini–Hochberg level over the prompt's patterns' growth tests."
    )
    pattern_min_growth: float = Field(
        default=0.25, ge=0, description="A growing pattern's relative increase has a lower bound above this."
    )
    # --- weekly recommendations (None: the global automation_min_* settings) ---
    recommend_window_days: int = Field(default=28, ge=7, le=120)
    recommend_min_group_size: int | None = Field(default=None, ge=1)
    recommend_min_confidence: float | None = Field(default=None, gt=0, le=1)
    # --- the rule table ---
    priorities: dict[str, Priority] = Field(default_factory=dict, description="Priority override per rule id.")
    disabled_rules: list[str] = Field(default_factory=list, description="Rule ids not run for this prompt.")
