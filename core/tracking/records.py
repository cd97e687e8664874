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

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

ClientId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
SegmentValue = str | int | float | bool


class OutcomeKind(StrEnum):
    EXECUTION_SUCCESS = "EXECUTION_SUCCESS"
    EXECUTION_FAILURE = "EXECUTION_FAILURE"
    USER_CORRECTION = "USER_CORRECTION"
    QUALITY_SCORE = "QUALITY_SCORE"
    USER_RATING = "USER_RATING"


TIMEZONE_NEEDED = "timestamp needs a time zone (e.g. 2026-11-20T10:15:00Z)"


class _Record(BaseModel):
    """Shared fields. Checks are pydantic-core constraints where possible and at most one Python
    validator per record: ingestion validates hundreds of thousands of records per second."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ClientId
    # A naive timestamp is an error (TIMEZONE_NEEDED). The offset is kept as sent (converting costs
    # more than the rest of validation): Postgres stores the instant.
    occurred_at: AwareDatetime


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

    @model_validator(mode="after")
    def _check(self) -> ExecutionRecord:
        if self.label == "" or self.experiment == "" or self.arm == "":
            # CSV cells and some clients send "" for "no label": the same thing as leaving it out.
            # (Fields of a frozen model are set this way, once, right after validation.)
            for name in ("label", "experiment", "arm"):
                object.__setattr__(self, name, getattr(self, name) or None)
        if self.arm is not None and self.experiment is None:
            raise ValueError("arm is set but experiment is not")
        sections = self.sections
        if len(sections) > 1 and len(set(sections)) != len(sections):
            raise ValueError("sections: section ids must be unique")
        return self


_NEEDED: dict[OutcomeKind, tuple[str, ...]] = {
    OutcomeKind.EXECUTION_FAILURE: ("error",),
    OutcomeKind.USER_CORRECTION: ("original", "corrected"),
    OutcomeKind.QUALITY_SCORE: ("score",),
    OutcomeKind.USER_RATING: ("rating",),
}


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
        missing = [name for name in _NEEDED.get(self.kind, ()) if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.kind.value} needs {', '.join(missing)}")
        return self


Record = Annotated[ExecutionRecord | OutcomeRecord, Field(discriminator="type")]


def record_type_of(data: dict[str, Any]) -> str | None:
    """The declared ``type`` of raw input, for error messages before validation."""
    value = data.get("type")
    return value if isinstance(value, str) else None
