"""Pseudonymous users: expertise, language, a heavy-tailed activity level and a small accuracy offset."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from core.demo.plan import EXPERTISE, PopulationPlan

MIN_USERS = 25
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix64(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64's finaliser: a bijection on 64-bit integers, used for stable pseudonymous ids."""
    z = values.astype(np.uint64) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@dataclass(frozen=True)
class Users:
    ids: NDArray[np.str_]
    keys: NDArray[np.uint64]  # mixed into session ids
    expertise: NDArray[np.int64]  # index into EXPERTISE
    language: NDArray[np.str_]
    activity: NDArray[np.float64]  # relative calls per user (expertise volume x heavy-tailed activity)
    offset: NDArray[np.float64]  # accuracy offset of the user's calls
    upgrade_day: NDArray[np.float64]  # when the user installs the new client release (inf: not in the window)
    old_app: NDArray[np.str_]  # the release the user runs before that

    @property
    def size(self) -> int:
        return int(self.ids.size)


def _categorical(rng: np.random.Generator, weights: dict[str, float], size: int) -> NDArray[np.str_]:
    names = list(weights)
    p = np.asarray([weights[n] for n in names], dtype=np.float64)
    return np.asarray(names)[rng.choice(len(names), size=size, p=p / p.sum())]


def build_users(plan: PopulationPlan, *, scale: float, rng: np.random.Generator, salt: int) -> Users:
    """``salt`` keeps the ids of different populations and seeds apart."""
    size = max(MIN_USERS, math.ceil(plan.users * scale))
    keys = mix64(np.arange(size, dtype=np.uint64) + np.uint64(salt) * np.uint64(1 << 32))
    ids = np.asarray([f"u-{int(k) >> 16:012x}" for k in keys])
    share = np.asarray([plan.expertise_share[level] for level in EXPERTISE])
    expertise = rng.choice(len(EXPERTISE), size=size, p=share / share.sum())
    volume = np.asarray([plan.expertise_volume[level] for level in EXPERTISE])[expertise]
    activity = volume * rng.lognormal(0.0, plan.activity_sigma, size=size)
    language = _categorical(rng, dict(plan.languages), size)
    offset = rng.normal(0.0, plan.user_sd, size=size)
    upgrade_day = np.full(size, np.inf)
    old_app = np.full(size, "")
    if plan.app is not None:
        u = rng.random(size)
        upgrade_day = np.where(
            u < plan.app.final_adoption, plan.app.release_day * (1.0 - u / plan.app.final_adoption), np.inf
        )
        old_app = _categorical(rng, dict(plan.app.old), size)
    return Users(ids, keys, expertise.astype(np.int64), language, activity, offset, upgrade_day, old_app)
