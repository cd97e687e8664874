"""Comparing two versions of a prompt with always-valid (sequential) tests.

Used to decide whether a version that replaced another regressed: the insight rules and the
post-apply watch look at the comparison every hour, so only a test that stays valid under repeated
looks (``core.stats.sequential_test``) may drive the decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.analytics.cells import CellStats, Scope, total
from core.stats import DEFAULT_HORIZON, SequentialResult, sequential_test


@dataclass(frozen=True)
class VersionComparison:
    baseline: CellStats
    candidate: CellStats
    accuracy: SequentialResult  # candidate − baseline
    failure_rate: SequentialResult
    correction_rate: SequentialResult

    @property
    def accuracy_regressed(self) -> bool:
        return self.accuracy.significant and self.accuracy.delta < 0


def compare_stats(
    baseline: CellStats, candidate: CellStats, *, level: float = 0.95, horizon: float = DEFAULT_HORIZON
) -> VersionComparison:
    """Pure: sequential tests of accuracy, failure rate and correction rate."""
    return VersionComparison(
        baseline=baseline,
        candidate=candidate,
        accuracy=sequential_test(baseline.accuracy, candidate.accuracy, level=level, horizon=horizon),
        failure_rate=sequential_test(baseline.failure_rate, candidate.failure_rate, level=level, horizon=horizon),
        correction_rate=sequential_test(
            baseline.correction_rate, candidate.correction_rate, level=level, horizon=horizon
        ),
    )


def compare_versions(
    session: Session,
    scope: Scope,
    *,
    baseline_version_id: int,
    candidate_version_id: int,
    level: float = 0.95,
    horizon: float = DEFAULT_HORIZON,
) -> VersionComparison:
    """Compare two versions over the same scope (same time range, label and segment filters)."""
    return compare_stats(
        total(session, scope.with_versions(baseline_version_id)),
        total(session, scope.with_versions(candidate_version_id)),
        level=level,
        horizon=horizon,
    )
