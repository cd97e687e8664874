"""Deterministic choices for text generation from a row of pre-drawn uniforms.

Drawing all randomness for N texts as one ``(N, k)`` array keeps generation vectorised in its
random part and makes each text depend only on its own row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

T = TypeVar("T")
DRAWS_PER_TEXT = 16


class Picker:
    __slots__ = ("_i", "_u")

    def __init__(self, uniforms: NDArray[np.float64]) -> None:
        self._u = uniforms
        self._i = 0

    def uniform(self) -> float:
        value = float(self._u[self._i % self._u.size])
        self._i += 1
        return value

    def pick(self, pool: Sequence[T]) -> T:
        return pool[min(int(self.uniform() * len(pool)), len(pool) - 1)]

    def other(self, pool: Sequence[T], avoid: T) -> T:
        """An element of ``pool`` different from ``avoid`` (pool needs two distinct elements)."""
        candidates = [item for item in pool if item != avoid]
        return self.pick(candidates)

    def chance(self, probability: float) -> bool:
        return self.uniform() < probability

    def integer(self, low: int, high: int) -> int:
        """Uniform on ``low..high`` inclusive."""
        return low + min(int(self.uniform() * (high - low + 1)), high - low)
