"""Generate the demo's traffic: deterministic for a given (seed, end, days, scale), returned as records.

>>> traffic = generate(seed=7, days=30, scale=0.1, end=date(2026, 3, 2))
>>> records = traffic.records()          # dicts in the ingestion format of core/tracking/records.py
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from core.demo.behaviour import Cost, Decisions, Targets, cost, decide, outcome_times, targets
from core.demo.calendar import Window
from core.demo.plan import PromptPlan
from core.demo.population import Users, build_users
from core.demo.records import execution_records, outcome_records
from core.demo.scenario import POPULATIONS, PROMPTS
from core.demo.traffic import Calls, Setup, VersionInfo, generate_calls, version_infos
from core.demo.wording import correction_texts, failure_texts, judge_scores
from core.errors import ValidationError

MIN_DAYS, MAX_DAYS = 21, 56
MIN_SCALE, MAX_SCALE = 0.01, 5.0
Record = dict[str, object]


@dataclass(frozen=True)
class PromptTraffic:
    plan: PromptPlan
    window: Window
    id_prefix: str
    users: Users
    versions: tuple[VersionInfo, ...]
    calls: Calls
    targets: Targets
    decisions: Decisions
    cost: Cost
    times: dict[str, NDArray[np.int64]]
    original: NDArray[np.object_]
    corrected: NDArray[np.object_]
    errors: NDArray[np.object_]
    scores: NDArray[np.float64]

    @property
    def executions(self) -> int:
        return self.calls.size

    def records(self) -> list[Record]:
        """Executions (by time), then their outcomes (by execution, then kind)."""
        return [*execution_records(self), *outcome_records(self)]


@dataclass(frozen=True)
class DemoTraffic:
    seed: int
    scale: float
    window: Window
    prompts: tuple[PromptTraffic, ...]

    def __iter__(self) -> Iterator[PromptTraffic]:
        return iter(self.prompts)

    def records(self) -> list[Record]:
        return [record for prompt in self.prompts for record in prompt.records()]

    def prompt(self, name: str) -> PromptTraffic:
        return next(p for p in self.prompts if p.plan.name == name)


def check_parameters(*, days: int, scale: float, seed: int = 0) -> None:
    if seed < 0:
        raise ValidationError("--seed must be a non-negative integer")
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationError(
            f"--days must be between {MIN_DAYS} and {MAX_DAYS} (the planted conditions span the last three weeks)"
        )
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise ValidationError(f"--scale must be between {MIN_SCALE} and {MAX_SCALE}")


def run_tag(*, seed: int, end: date, days: int, scale: float) -> str:
    """Short hash of the parameters, in every record id: a rerun with the same ones replays the same ids."""
    return hashlib.sha256(f"{seed}|{end.isoformat()}|{days}|{scale!r}".encode()).hexdigest()[:6]


def generate(
    *, seed: int, days: int, scale: float, end: date, versions: Mapping[str, Mapping[str, str]] | None = None
) -> DemoTraffic:
    """``versions``: prompt -> (plan version -> registered version), when the registry numbered differently."""
    check_parameters(days=days, scale=scale, seed=seed)
    window = Window(end=end, days=days)
    prefix = f"demo-{run_tag(seed=seed, end=end, days=days, scale=scale)}"
    users = {
        name: build_users(plan, scale=scale, rng=np.random.default_rng([seed, 0, i]), salt=seed * 16 + i)
        for i, (name, plan) in enumerate(sorted(POPULATIONS.items()))
    }
    prompts = []
    for index, plan in enumerate(PROMPTS):
        setup = Setup(
            plan=plan,
            index=index,
            seed=seed,
            window=window,
            population=POPULATIONS[plan.population],
            users=users[plan.population],
            versions=version_infos(plan, (versions or {}).get(plan.name)),
        )
        prompts.append(_prompt_traffic(setup, scale=scale, id_prefix=f"{prefix}-{plan.code}"))
    return DemoTraffic(seed=seed, scale=scale, window=window, prompts=tuple(prompts))


def _prompt_traffic(setup: Setup, *, scale: float, id_prefix: str) -> PromptTraffic:
    calls = generate_calls(setup, scale=scale)
    t = targets(setup, calls)
    d = decide(setup, calls, t)
    c = cost(setup, calls, d)
    original, corrected = correction_texts(setup, calls, d)
    return PromptTraffic(
        plan=setup.plan,
        window=setup.window,
        id_prefix=id_prefix,
        users=setup.users,
        versions=setup.versions,
        calls=calls,
        targets=t,
        decisions=d,
        cost=c,
        times=outcome_times(setup, calls, c),
        original=original,
        corrected=corrected,
        errors=failure_texts(setup, calls, d),
        scores=judge_scores(setup, d, original, corrected),
    )
