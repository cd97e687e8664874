"""The records applications send: executions and outcomes, validated with pydantic.

These models are the contract of every ingestion path (Python, CLI files, later HTTP). A record is
identified by its client-supplied ``id`` (the idempotency key): sending it again changes nothing.

Execution — one LLM call made with a prompt version::

    {"type": "execution", "id": "exec-123", "prompt": "thought_to_intent", "version": "1.2.0",
     "label": "production", "sections": ["identity_role", "task_context"],
     "prompt_tokens": 812, "completion_tokens": 64, "latency_ms": 930.5, "model": "gpt-4o-mini",
     "unit_id": "u-9f2c", "session_id": "s-1", "segment": {"expertise": "novice", "language": "en"},
     "occurred_at": "2026-11-20T10:15:00Z"}

Outcome — evidence about an execution::

    {"type": "outcome", "id": "out-1", "execution_id": "exec-123", "kind": "USER_CORRECTION",
     "original": "...", "corrected": "...", "occurred_at": "2026-11-20T10:16:00Z"}
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ClientId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
SegmentValue = str | int | float | bool


class OutcomeKind(StrEnum):
    EXECUTION_SUCCESS = "EXECUTION_SUCCESS"
    EXECUTION_FAILURE = "EXECUTION_FAILURE"
    USER_CORRECTION = "USER_CORRECTION"
    QUALITY_SCORE = "QUALITY_SCORE"
    USER_RATING = "USER_RATING"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ClientId
    occurred_at: datetime

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("timestamp needs a time zone (e.g. 2026-11-20T10:15:00Z)")
        return value.astimezone(UTC)


class ExecutionRecord(_Record):
    type: Literal["execution"] = "execution"
    prompt: str = Field(min_length=1, max_length=128)
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    label: str | None = Field(default=None, max_length=64)
    experiment: str | None = Field(default=None, max_length=128)
    arm: str | None = Field(default=None, max_length=64)
    sections: list[str] = Field(default_factory=list, max_length=64)
    prompt_tokens: int = Field(ge=0, le=10_000_000)
    completion_tokens: int | None = Field(default=None, ge=0, le=10_000_000)
    latency_ms: float = Field(ge=0, le=86_400_000)
    model: str | None = Field(default=None, max_length=128)
    unit_id: str | None = Field(default=None, max_length=200)
    session_id: str | None = Field(default=None, max_length=200)
    segment: dict[str, SegmentValue] = Field(default_factory=dict, max_length=32)

    @field_validator("sections")
    @classmethod
    def _unique_sections(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("section ids must be unique")
        return value

    @model_validator(mode="after")
    def _arm_needs_experiment(self) -> ExecutionRecord:
        if self.arm is not None and self.experiment is None:
            raise ValueError("arm is set but experiment is not")
        return self


class OutcomeRecord(_Record):
    type: Literal["outcome"] = "outcome"
    execution_id: ClientId
    kind: OutcomeKind
    accuracy: float | None = Field(default=None, ge=0, le=1, description="Given accuracy; computed if absent.")
    error: str | None = Field(default=None, max_length=20_000)
    original: str | None = Field(default=None, max_length=50_000)
    corrected: str | None = Field(default=None, max_length=50_000)
    score: float | None = Field(default=None, ge=0, le=1)
    rating: int | None = Field(default=None, ge=1, le=5)

    @model_validator(mode="after")
    def _fields_for_kind(self) -> OutcomeRecord:
        needed: dict[OutcomeKind, tuple[str, ...]] = {
            OutcomeKind.EXECUTION_FAILURE: ("error",),
            OutcomeKind.USER_CORRECTION: ("original", "corrected"),
            OutcomeKind.QUALITY_SCORE: ("score",),
            OutcomeKind.USER_RATING: ("rating",),
        }
        missing = [name for name in needed.get(self.kind, ()) if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.kind.value} needs {', '.join(missing)}")
        return self


Record = Annotated[ExecutionRecord | OutcomeRecord, Field(discriminator="type")]


def record_type_of(data: dict[str, Any]) -> str | None:
    """The declared ``type`` of raw input, for error messages before validation."""
    value = data.get("type")
    return value if isinstance(value, str) else None
