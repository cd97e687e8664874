"""What each call did: failure or success, a later correction, a rating or judge score, tokens, latency.

The accuracy model, per call (the sizes live in ``scenario.py``; see PLANTED.md):

* target accuracy of a successful call ``mu`` = version x expertise table + language offset + user
  offset + the true effect of each included section - the outage drop (if in the outage);
* ingestion's precedence (``core.tracking.precedence``): a correction's similarity beats a rating
  ((r-1)/4), which beats a judge score, which beats the call-time success (1). An uncorrected call
  therefore scores ``c = 1 - rating_rate * E[rating shortfall] - score_rate * E[score shortfall]`` on
  average, and a corrected one ``1 - L`` (L: the version's mean correction loss). The error
  probability ``p = (c - mu) / (c - 1 + L)`` makes ``E[accuracy | success] = mu`` exactly;
* failures (accuracy 0) with the prompt's rate, or the outage's during it;
* on top of that, a growing theme (planning's date format) corrects otherwise-correct calls so that
  its share of *all* calls is ``baseline (+ per_adopter on the new client release)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core.demo.calendar import MS_PER_DAY, MS_PER_HOUR
from core.demo.plan import PromptPlan
from core.demo.themes import theme_loss
from core.demo.traffic import STEP_COST, STEP_OUTCOMES, STEP_TEXTS, Calls, Setup

# Ratings of uncorrected (correct) calls: P(3), P(4), P(5); of corrected calls: P(1..4).
RATING_CORRECT = np.asarray([0.03, 0.15, 0.82])
RATING_WRONG = np.asarray([0.30, 0.35, 0.25, 0.10])
RATING_SHORTFALL = float(1.0 - RATING_CORRECT @ (np.asarray([3, 4, 5]) - 1) / 4)  # 0.0525
SCORE_BETA = (1.0, 19.0)  # a judge's shortfall on correct answers ~ Beta(1, 19): mean 0.05
SCORE_SHORTFALL = SCORE_BETA[0] / sum(SCORE_BETA)
MAX_ERROR_P = 0.97


@dataclass(frozen=True)
class Targets:
    mu: NDArray[np.float64]  # accuracy target of a successful call
    fail_p: NDArray[np.float64]
    in_outage: NDArray[np.bool_]
    error_p: NDArray[np.float64]
    growth_share: NDArray[np.float64]  # share of calls like this one corrected with the growing theme
    expected: NDArray[np.float64]  # E[effective accuracy] of the call: the truth PLANTED.md reports


def uncorrected_accuracy(plan: PromptPlan) -> float:
    """``c``: mean effective accuracy of a successful call that nobody corrected."""
    return 1.0 - plan.rating_rate * RATING_SHORTFALL - (1.0 - plan.rating_rate) * plan.score_rate * SCORE_SHORTFALL


def targets(setup: Setup, calls: Calls) -> Targets:
    plan, versions, users, window = setup.plan, setup.versions, setup.users, setup.window
    accuracy = np.stack([v.accuracy for v in versions])
    mu = accuracy[calls.version, calls.expertise] + users.offset[calls.user]
    mu += np.vectorize(lambda lang: plan.languages.get(lang, 0.0), otypes=[float])(calls.segment["language"])
    for j, section in enumerate(plan.sections):
        mu += section.effect * calls.included[:, j]
    fail_p = np.full(calls.size, plan.failure_rate)
    in_outage = np.zeros(calls.size, dtype=bool)
    if plan.outage is not None:
        o = plan.outage
        day = calls.offset_ms // MS_PER_DAY - window.days
        hour = (calls.offset_ms % MS_PER_DAY) // MS_PER_HOUR
        in_outage = (day == o.day) & (hour >= o.start_hour) & (hour < o.end_hour)
        mu = np.where(in_outage, mu - o.accuracy_drop, mu)
        fail_p = np.where(in_outage, o.failure_rate, fail_p)
    mu = np.clip(mu, 0.05, 0.999)
    c = uncorrected_accuracy(plan)
    loss = np.asarray([v.loss for v in versions])[calls.version]
    error_p = np.clip((c - mu) / (c - 1.0 + loss), 0.0, MAX_ERROR_P)
    growth = np.zeros(calls.size)
    expected = (1.0 - fail_p) * (c - error_p * (c - 1.0 + loss))  # = (1 - fail_p) * mu unless p was clipped
    if plan.growth is not None:
        g = plan.growth
        adopted = (calls.days >= users.upgrade_day[calls.user]).astype(np.float64)
        growth = g.baseline + g.per_adopter * adopted
        expected -= growth * (c - 1.0 + theme_loss(plan.name, g.theme))
    return Targets(mu, fail_p, in_outage, error_p, growth, expected)


@dataclass(frozen=True)
class Decisions:
    failed: NDArray[np.bool_]
    failure_kind: NDArray[np.int64]  # index into plan.failures; -1: none; -2: the outage's error
    corrected: NDArray[np.bool_]
    theme: NDArray[np.object_]  # theme name or None
    rating: NDArray[np.int64]  # 0: none
    scored: NDArray[np.bool_]


def decide(setup: Setup, calls: Calls, t: Targets) -> Decisions:
    plan, versions = setup.plan, setup.versions
    rng = setup.rng(STEP_OUTCOMES)
    u = rng.random((calls.size, 5))
    failed = u[:, 0] < t.fail_p
    weights = np.asarray([f.weight for f in plan.failures])
    kind = rng.choice(len(plan.failures), size=calls.size, p=weights / weights.sum())
    failure_kind = np.where(failed, np.where(t.in_outage, -2, kind), -1)
    error = ~failed & (u[:, 1] < t.error_p)
    theme = np.full(calls.size, None, dtype=object)
    for v, info in enumerate(versions):
        chosen = error & (calls.version == v)
        theme[chosen] = np.asarray(info.theme_names, dtype=object)[
            rng.choice(len(info.theme_names), size=int(chosen.sum()), p=info.theme_p)
        ]
    if plan.growth is not None:
        open_ = np.maximum((1.0 - t.fail_p) * (1.0 - t.error_p), 1e-9)
        grown = ~failed & ~error & (u[:, 2] < t.growth_share / open_)
        theme[grown] = plan.growth.theme
    corrected = theme != None  # noqa: E711  (element-wise comparison on an object array)
    rated = ~failed & (u[:, 3] < plan.rating_rate)
    good = np.asarray([3, 4, 5])[rng.choice(3, size=calls.size, p=RATING_CORRECT)]
    bad = np.asarray([1, 2, 3, 4])[rng.choice(4, size=calls.size, p=RATING_WRONG)]
    rating = np.where(rated, np.where(corrected, bad, good), 0)
    scored = ~failed & (u[:, 4] < plan.score_rate)
    return Decisions(failed, failure_kind, corrected, theme, rating, scored)


MODEL_LATENCY = {  # first-token ms, ms per completion token
    "gpt-4o-mini": (380.0, 9.0),
    "gpt-4o": (550.0, 18.0),
    "claude-3-5-haiku": (420.0, 11.0),
}
LATENCY_SIGMA = 0.28
INPUT_SIGMA = 0.55
DYNAMIC_SIGMA = 0.5
COMPLETION_SIGMA = 0.35
INSTRUCTION_TOKENS = 12


@dataclass(frozen=True)
class Cost:
    prompt_tokens: NDArray[np.int64]
    completion_tokens: NDArray[np.int64]  # -1: none (the call failed before answering)
    latency_ms: NDArray[np.float64]


def cost(setup: Setup, calls: Calls, d: Decisions) -> Cost:
    plan, versions = setup.plan, setup.versions
    rng = setup.rng(STEP_COST)
    n = calls.size
    tokens = INSTRUCTION_TOKENS + plan.input_tokens * rng.lognormal(0.0, INPUT_SIGMA, n)
    for j, section in enumerate(plan.sections):
        size = section.tokens + section.dynamic_tokens * rng.lognormal(0.0, DYNAMIC_SIGMA, n)
        tokens += calls.included[:, j] * size
    tokens = np.minimum(tokens, np.asarray([v.token_budget for v in versions])[calls.version])
    completion = np.maximum(1, np.rint(plan.completion_tokens * rng.lognormal(0.0, COMPLETION_SIGMA, n)))
    base = np.asarray([MODEL_LATENCY[v.model] for v in versions])[calls.version]
    latency = (base[:, 0] + base[:, 1] * completion + 0.04 * tokens) * rng.lognormal(0.0, LATENCY_SIGMA, n)
    kinds = np.asarray([f.latency for f in plan.failures])[np.maximum(d.failure_kind, 0)]
    kinds = np.where(d.failure_kind == -2, "timeout", kinds)  # the outage's calls time out
    timeout = d.failed & (kinds == "timeout")
    fast = d.failed & (kinds == "fast")
    outage_ms = plan.outage.latency_ms if plan.outage is not None else 30_000.0
    latency = np.where(timeout, np.where(d.failure_kind == -2, outage_ms, 30_000.0) + rng.uniform(0, 500, n), latency)
    latency = np.where(fast, 60.0 + rng.lognormal(np.log(110.0), 0.4, n), latency)
    no_answer = timeout | fast
    return Cost(
        np.rint(tokens).astype(np.int64),
        np.where(no_answer, -1, completion).astype(np.int64),
        np.round(latency, 1).astype(np.float64),
    )


def outcome_times(setup: Setup, calls: Calls, c: Cost) -> dict[str, NDArray[np.int64]]:
    """ms since the window start of the call-time status, the correction, the rating and the score.

    Later feedback is capped just before the end of the window, so no outcome lies in the future.
    """
    rng = setup.rng(STEP_TEXTS + 100)
    n = calls.size
    status = calls.offset_ms + np.rint(c.latency_ms).astype(np.int64)
    delays = {
        "correction": rng.lognormal(np.log(25 * 60_000), 1.2, n),
        "rating": rng.lognormal(np.log(3 * 60_000), 0.8, n),
        "score": rng.uniform(2 * 60_000, 15 * 60_000, n),
    }
    last = setup.window.end_ms - 1
    times = {"status": np.minimum(status, last)}
    for name, delay in delays.items():
        times[name] = np.maximum(np.minimum(status + delay.astype(np.int64), last), calls.offset_ms)
    return times
