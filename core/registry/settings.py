"""Per-prompt settings, stored as JSON on the prompt and validated here.

Later modules add their own fields with defaults (thresholds, targets); a stored document that
lacks a field gets the default, so adding a field never needs a data migration.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.orm import Session

from core.analytics.expertise import ExpertiseThresholds
from core.errors import ValidationError as PromptloopValidationError
from core.governance.audit import record_event
from core.insights.settings import InsightSettings
from core.registry.prompts import get_prompt


class PromptSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    segment_dimensions: list[str] = Field(
        default_factory=list,
        description=(
            "Keys of an execution's segment attributes that define its segment for rollups and "
            "covariate adjustment (e.g. expertise, language). Keep it to a few low-cardinality keys."
        ),
        max_length=4,
    )
    insights: InsightSettings = Field(default_factory=InsightSettings, description="Insight rule thresholds.")
    expertise: ExpertiseThresholds = Field(
        default_factory=ExpertiseThresholds, description="How users are classified novice / intermediate / expert."
    )

    @field_validator("segment_dimensions")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            if not name.isidentifier():
                raise ValueError(f"'{name}' is not a valid dimension name (letters, digits, '_')")
        if len(set(value)) != len(value):
            raise ValueError("dimension names must be unique")
        return value


def prompt_settings(raw: dict[str, Any]) -> PromptSettings:
    return PromptSettings.model_validate(raw or {})


def describe_settings_error(exc: ValidationError) -> str:
    """One line: each bad setting's path and what is wrong with it."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def _merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` over ``base``; nested objects merge key by key (so one threshold can change alone)."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def update_prompt_settings(
    session: Session, *, prompt_name: str, changes: dict[str, Any], actor: str
) -> PromptSettings:
    """Merge ``changes`` into the prompt's settings (nested objects key by key), validate, audit."""
    prompt = get_prompt(session, name=prompt_name, for_update=True)
    try:
        before: dict[str, Any] = prompt_settings(prompt.settings).model_dump(mode="json")
    except ValidationError:  # stored settings that no longer validate: this change may be their fix
        before = dict(prompt.settings or {})
    try:
        after = PromptSettings.model_validate(_merge(before, changes))
    except ValidationError as exc:
        detail = describe_settings_error(exc)
        raise PromptloopValidationError(f"invalid settings for '{prompt_name}': {detail}") from None
    prompt.settings = after.model_dump(mode="json")
    record_event(
        session,
        actor=actor,
        action="prompt.settings_changed",
        entity_type="prompt",
        entity_id=prompt.id,
        before=before,
        after=after.model_dump(mode="json"),
    )
    return after
