"""How users are classified novice / intermediate / expert: the per-prompt thresholds
(``PromptSettings.expertise``). Its own module, free of the statistics stack, so that reading settings
does not import scipy (``core.analytics.users`` does the classifying)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ExpertiseThresholds(BaseModel):
    """Per-prompt settings (``PromptSettings.expertise``): how users are classified."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expert_min_executions: int = Field(default=50, ge=1, description="Expert: at least this many executions...")
    expert_min_accuracy: float = Field(default=0.85, ge=0, le=1, description="...and at least this mean accuracy.")
    intermediate_min_executions: int = Field(default=10, ge=1, description="Intermediate: at least this many...")
    intermediate_min_accuracy: float = Field(default=0.70, ge=0, le=1, description="...and at least this accuracy.")

    @model_validator(mode="after")
    def _ordered(self) -> ExpertiseThresholds:
        if self.intermediate_min_executions > self.expert_min_executions:
            raise ValueError("intermediate_min_executions must not exceed expert_min_executions")
        if self.intermediate_min_accuracy > self.expert_min_accuracy:
            raise ValueError("intermediate_min_accuracy must not exceed expert_min_accuracy")
        return self
