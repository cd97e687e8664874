"""When calls happen (daily volume with weekly seasonality and growth, hour-of-day profile) and which
version each label pointed at, at any moment of the window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

from core.demo.plan import MovePlan, PopulationPlan

MS_PER_HOUR = 3_600_000
MS_PER_DAY = 24 * MS_PER_HOUR
DAY_NOISE_SIGMA = 0.05  # day-to-day volume noise (lognormal), on top of Poisson counts


@dataclass(frozen=True)
class Window:
    """Traffic covers the ``days`` whole UTC days before midnight of ``end``."""

    end: date
    days: int

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days)

    @property
    def start_at(self) -> datetime:
        return datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)

    @property
    def end_ms(self) -> int:
        return self.days * MS_PER_DAY

    def at(self, day: float) -> datetime:
        """The moment ``day`` days relative to the end (negative: before it)."""
        return self.end_at + timedelta(days=day)

    def relative_days(self, offset_ms: NDArray[np.int64]) -> NDArray[np.float64]:
        return offset_ms.astype(np.float64) / MS_PER_DAY - self.days

    def weekdays(self) -> NDArray[np.int64]:
        first = self.start.weekday()
        return (first + np.arange(self.days)) % 7


def call_times(
    *, daily_volume: float, population: PopulationPlan, window: Window, scale: float, rng: np.random.Generator
) -> NDArray[np.int64]:
    """Sorted call times in ms since the window start."""
    factor = np.asarray(population.weekday_factor)[window.weekdays()]
    age = np.arange(window.days, dtype=np.float64) - window.days + 1  # 0 for the last day
    growth = (1.0 + population.daily_growth) ** age
    noise = rng.lognormal(0.0, DAY_NOISE_SIGMA, size=window.days)
    counts = rng.poisson(scale * daily_volume * factor * growth * noise)
    day = np.repeat(np.arange(window.days, dtype=np.int64), counts)
    profile = np.asarray(population.hour_profile, dtype=np.float64)
    hour = rng.choice(24, size=day.size, p=profile / profile.sum())
    within = rng.integers(0, MS_PER_HOUR, size=day.size)
    return np.sort(day * MS_PER_DAY + hour * MS_PER_HOUR + within)


@dataclass(frozen=True)
class LabelTimeline:
    """label -> (move days, version index after each move), sorted by time."""

    moves: dict[str, tuple[NDArray[np.float64], NDArray[np.int64]]]

    @classmethod
    def build(cls, moves: Sequence[MovePlan], versions: Sequence[str]) -> LabelTimeline:
        by_label: dict[str, list[tuple[float, int]]] = {}
        for move in sorted(moves, key=lambda m: m.day):
            by_label.setdefault(move.label, []).append((move.day, versions.index(move.version)))
        return cls(
            {
                label: (np.asarray([d for d, _ in steps]), np.asarray([v for _, v in steps], dtype=np.int64))
                for label, steps in by_label.items()
            }
        )

    def version_at(self, label: str, days: NDArray[np.float64]) -> NDArray[np.int64]:
        """Index of the version ``label`` points at at each moment; -1 before the label exists."""
        if label not in self.moves:
            return np.full(days.size, -1, dtype=np.int64)
        times, versions = self.moves[label]
        step = np.searchsorted(times, days, side="right") - 1
        return np.where(step >= 0, versions[np.clip(step, 0, None)], -1)
