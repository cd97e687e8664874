"""One prompt's traffic as columns: who called, when, through which label and version, with which sections.

Randomness comes from one ``numpy.random.Generator`` per (seed, prompt, step), so changing one step
or one prompt of the scenario leaves the draws of every other one unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core.demo.calendar import LabelTimeline, Window, call_times
from core.demo.plan import EXPERTISE, PopulationPlan, PromptPlan, SectionPlan
from core.demo.population import Users
from core.demo.themes import mix_loss
from core.registry.spec import parse_spec

STEP_CALLS, STEP_LABELS, STEP_SECTIONS, STEP_SEGMENTS, STEP_OUTCOMES, STEP_TEXTS, STEP_COST = range(7)


def stream(seed: int, prompt_index: int, step: int) -> np.random.Generator:
    return np.random.default_rng([seed, 1, prompt_index, step])


@dataclass(frozen=True)
class VersionInfo:
    version: str  # as registered
    sections: tuple[str, ...]
    optional: frozenset[str]
    model: str
    token_budget: int  # prompt tokens the assembler may spend (dynamic content is cut to fit)
    accuracy: NDArray[np.float64]  # by expertise index
    loss: float  # mean accuracy loss of a correction of this version (its theme mix)
    theme_names: tuple[str, ...]
    theme_p: NDArray[np.float64]


def version_infos(plan: PromptPlan, numbers: Mapping[str, str] | None = None) -> tuple[VersionInfo, ...]:
    """``numbers`` maps the plan's version numbers to the registry's (identity when omitted)."""
    infos = []
    for v in plan.versions:
        content = parse_spec(dict(v.spec), source=f"{plan.name} {v.version}").content()
        weights = dict(v.theme_weights or plan.themes)
        p = np.asarray(list(weights.values()), dtype=np.float64)
        infos.append(
            VersionInfo(
                version=(numbers or {}).get(v.version, v.version),
                sections=tuple(content.section_ids),
                optional=frozenset(content.effective_policy().optional),
                model=v.model,
                token_budget=content.token_budget or 1_000_000,
                accuracy=np.asarray([v.accuracy[level] for level in EXPERTISE]),
                loss=mix_loss(plan.name, weights),
                theme_names=tuple(weights),
                theme_p=p / p.sum(),
            )
        )
    return tuple(infos)


@dataclass(frozen=True)
class Setup:
    """Everything fixed about one prompt's generation: its plan, callers, versions, window and seed."""

    plan: PromptPlan
    index: int  # position in the scenario: selects the prompt's random streams
    seed: int
    window: Window
    population: PopulationPlan
    users: Users
    versions: tuple[VersionInfo, ...]

    def rng(self, step: int) -> np.random.Generator:
        return stream(self.seed, self.index, step)


@dataclass(frozen=True)
class Calls:
    offset_ms: NDArray[np.int64]  # since the window start, sorted
    days: NDArray[np.float64]  # relative to the end (negative)
    user: NDArray[np.int64]  # index into Users
    expertise: NDArray[np.int64]
    label: NDArray[np.str_]
    version: NDArray[np.int64]  # index into the VersionInfo tuple
    included: NDArray[np.bool_]  # (calls, plan sections)
    segment: dict[str, NDArray[np.str_]]

    @property
    def size(self) -> int:
        return int(self.offset_ms.size)


def _inclusion(section: SectionPlan, expertise: NDArray[np.int64]) -> NDArray[np.float64]:
    if isinstance(section.inclusion, float | int):
        return np.full(expertise.size, float(section.inclusion))
    return np.asarray([section.inclusion[level] for level in EXPERTISE])[expertise]


def _sections(
    plan: PromptPlan,
    versions: tuple[VersionInfo, ...],
    version: NDArray[np.int64],
    expertise: NDArray[np.int64],
    rng: np.random.Generator,
) -> NDArray[np.bool_]:
    """Required sections of the call's version always; optional ones by their inclusion probability."""
    u = rng.random((version.size, len(plan.sections)))
    included = np.zeros((version.size, len(plan.sections)), dtype=bool)
    for j, section in enumerate(plan.sections):
        present = np.asarray([section.id in v.sections for v in versions])[version]
        optional = np.asarray([section.id in v.optional for v in versions])[version]
        included[:, j] = present & (~optional | (u[:, j] < _inclusion(section, expertise)))
    return included


def _categorical(rng: np.random.Generator, weights: Mapping[str, float], size: int) -> NDArray[np.str_]:
    names = list(weights)
    p = np.asarray([weights[n] for n in names], dtype=np.float64)
    return np.asarray(names)[rng.choice(len(names), size=size, p=p / p.sum())]


def _segments(setup: Setup, user: NDArray[np.int64], days: NDArray[np.float64]) -> dict[str, NDArray[np.str_]]:
    users, app = setup.users, setup.population.app
    segment = {"expertise": np.asarray(EXPERTISE)[users.expertise[user]], "language": users.language[user]}
    if app is not None:
        segment["app_version"] = np.where(days >= users.upgrade_day[user], app.new, users.old_app[user])
    rng = setup.rng(STEP_SEGMENTS)
    for attribute, weights in setup.plan.extra_segment.items():
        segment[attribute] = _categorical(rng, weights, user.size)
    return segment


def generate_calls(setup: Setup, *, scale: float) -> Calls:
    plan, users, window = setup.plan, setup.users, setup.window
    rng = setup.rng(STEP_CALLS)
    offset = call_times(
        daily_volume=plan.daily_volume, population=setup.population, window=window, scale=scale, rng=rng
    )
    days = window.relative_days(offset)
    eligible = np.flatnonzero(np.isin(users.language, list(plan.languages)))
    weight = users.activity[eligible]
    user = eligible[rng.choice(eligible.size, size=offset.size, p=weight / weight.sum())]
    expertise = users.expertise[user]

    timeline = LabelTimeline.build(plan.moves, [v.version for v in plan.versions])
    production = np.maximum(timeline.version_at("production", days), 0)
    staging = timeline.version_at("staging", days)
    rng = setup.rng(STEP_LABELS)
    use_staging = (staging >= 0) & (rng.random(days.size) < plan.staging_share)
    label = np.where(use_staging, "staging", "production")
    version = np.where(use_staging, staging, production)

    included = _sections(plan, setup.versions, version, expertise, setup.rng(STEP_SECTIONS))
    segment = _segments(setup, user, days)
    return Calls(offset, days, user, expertise, label, version, included, segment)
