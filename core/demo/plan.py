"""The vocabulary of a demo scenario: plain frozen dataclasses, filled in by ``scenario.py``.

Time is measured in days relative to the END of the traffic window (``day=-9.5`` is noon nine and a
half days before the end, which is midnight UTC of the ``end`` date). Accuracy figures are the
expected *effective accuracy of a successful call* (1 for an uncorrected call, the similarity of
original and corrected text for a corrected one); failures are drawn separately and count as 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from core.registry.semver import Bump

EXPERTISE = ("novice", "intermediate", "expert")
Population = Literal["assistant", "sales"]


@dataclass(frozen=True)
class SectionPlan:
    """How a section behaves in traffic. Required sections are always included when a version has them."""

    id: str
    tokens: int  # static prompt tokens
    dynamic_tokens: float = 0.0  # median of the variable part (lognormal, sigma 0.5); 0 = none
    # Probability that an optional section is included, overall or per expertise level.
    inclusion: float | Mapping[str, float] = 1.0
    effect: float = 0.0  # true change in accuracy (of successful calls) when included


@dataclass(frozen=True)
class VersionPlan:
    version: str  # the number the registry is expected to give it (traffic uses the actual one)
    spec: Mapping[str, Any]  # a version spec (see core/registry/spec.py)
    created_day: float
    accuracy: Mapping[str, float]  # expertise -> accuracy with no optional section effect
    model: str
    bump: Bump | None = None
    theme_weights: Mapping[str, float] | None = None  # None: the prompt's default mix
    notes: str = ""


@dataclass(frozen=True)
class MovePlan:
    label: str
    version: str
    day: float
    reason: str


@dataclass(frozen=True)
class OutagePlan:
    """A bad day: for some hours calls fail far more often and successful ones are worse."""

    day: int  # e.g. -4: the day starting four days before the end
    start_hour: int
    end_hour: int  # exclusive
    failure_rate: float  # failure probability during the outage
    accuracy_drop: float  # subtracted from the accuracy of successful calls during the outage
    error: str  # error template ({domain} is filled in)
    latency_ms: float  # typical latency of a failing call during the outage


@dataclass(frozen=True)
class GrowthPlan:
    """A correction theme that grows because a client release spreads among users.

    Share of all executions corrected with ``theme``: ``baseline`` for calls from older releases,
    ``baseline + per_adopter`` for calls from the new one (see :class:`AppVersions`).
    """

    theme: str
    baseline: float
    per_adopter: float


@dataclass(frozen=True)
class AppVersions:
    """The client ``app_version`` segment attribute: old releases and one being rolled out.

    Each user upgrades once, at ``release_day + u / final_adoption * (-release_day)`` with u uniform
    on [0, 1): adoption rises linearly from 0 at the release to ``final_adoption`` at the end.
    """

    old: Mapping[str, float]
    new: str
    release_day: float
    final_adoption: float


@dataclass(frozen=True)
class FailurePlan:
    """One kind of call failure. ``latency`` is ``timeout`` (~30 s), ``fast`` (rejected in ~0.2 s) or
    ``normal`` (the call ran, its output was unusable)."""

    error: str  # template: {model}, {request}, {seconds}, {domain}, {email}, {key}
    weight: float
    latency: Literal["timeout", "fast", "normal"]


@dataclass(frozen=True)
class PromptPlan:
    name: str
    code: str  # short code used in record ids
    description: str
    population: Population
    languages: Mapping[str, float]  # user language -> accuracy offset; only these users call it
    daily_volume: float  # executions on an average weekday at scale 1.0
    sections: tuple[SectionPlan, ...]
    versions: tuple[VersionPlan, ...]
    moves: tuple[MovePlan, ...]
    segment_dimensions: tuple[str, ...]
    themes: Mapping[str, float]  # default correction theme mix (weights)
    failure_rate: float
    failures: tuple[FailurePlan, ...]
    input_tokens: float  # median tokens of the variable input (lognormal, sigma 0.55)
    completion_tokens: float  # median completion tokens (lognormal, sigma 0.35)
    staging_share: float = 0.03  # share of calls made through the staging label (internal testers)
    rating_rate: float = 0.0  # share of calls that get a 1-5 user rating
    score_rate: float = 0.0  # share of calls scored 0-1 by an automated judge
    outage: OutagePlan | None = None
    growth: GrowthPlan | None = None
    extra_segment: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # attribute -> value weights


@dataclass(frozen=True)
class PopulationPlan:
    """Who calls a group of prompts, and when."""

    users: int  # at scale 1.0
    expertise_share: Mapping[str, float]  # share of users
    expertise_volume: Mapping[str, float]  # relative calls per user
    languages: Mapping[str, float]  # share of users
    activity_sigma: float  # per-user activity is lognormal(0, sigma): a heavy tail of power users
    weekday_factor: tuple[float, float, float, float, float, float, float]  # Monday first
    hour_profile: tuple[float, ...]  # 24 relative weights, UTC
    daily_growth: float  # relative volume growth per day
    user_sd: float  # per-user accuracy offset (normal sd)
    app: AppVersions | None = None
