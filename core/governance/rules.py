"""The governance thresholds, as one value object built from :class:`core.config.Settings`."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import Settings


@dataclass(frozen=True)
class GovernanceRules:
    """What approval and automation must satisfy (defaults mirror the settings' defaults)."""

    two_person_rule: bool = True
    min_sample_size: int = 100  # executions in every compared group
    min_confidence: float = 0.8  # confidence in the effect, in [0, 1]

    @classmethod
    def from_settings(cls, settings: Settings) -> GovernanceRules:
        return cls(
            two_person_rule=settings.two_person_rule,
            min_sample_size=settings.automation_min_sample_size,
            min_confidence=settings.automation_min_confidence,
        )
