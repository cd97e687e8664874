"""Per-user expertise profiles (novice / intermediate / expert) from the per-unit daily rollups.

A user's level comes from how much they use the prompt and how accurate its answers are for them:
experienced users send clearer inputs and get better answers. The thresholds are settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics.expertise import ExpertiseThresholds
from core.stats import Estimate, MeanStats, t_interval

Level = Literal["novice", "intermediate", "expert"]


@dataclass(frozen=True)
class UserProfile:
    unit_id: str
    executions: int
    corrections: int
    failures: int
    accuracy: Estimate
    level: Level


def classify(executions: int, accuracy: MeanStats, thresholds: ExpertiseThresholds) -> Level:
    """Pure. Without any scored execution a user is judged on volume alone, never as expert."""
    mean = accuracy.mean if accuracy.n else None
    if executions >= thresholds.expert_min_executions and mean is not None and mean >= thresholds.expert_min_accuracy:
        return "expert"
    if executions >= thresholds.intermediate_min_executions and (
        mean is None or mean >= thresholds.intermediate_min_accuracy
    ):
        return "intermediate"
    return "novice"


_QUERY = """
SELECT unit_id, sum(executions) AS executions, sum(corrections) AS corrections, sum(failures) AS failures,
       sum(accuracy_n) AS accuracy_n, sum(accuracy_sum) AS accuracy_sum, sum(accuracy_sum_sq) AS accuracy_sum_sq
FROM rollups_unit_daily
WHERE prompt_id = :prompt_id AND day >= :start AND day < :end
GROUP BY unit_id
ORDER BY sum(executions) DESC, unit_id
"""


def expertise_profiles(
    session: Session,
    *,
    prompt_id: int,
    start: date,
    end: date,
    thresholds: ExpertiseThresholds | None = None,
    limit: int | None = None,
) -> list[UserProfile]:
    """Profiles of the users of one prompt over [start, end) (UTC days), heaviest users first."""
    thresholds = thresholds or ExpertiseThresholds()
    query = _QUERY + (" LIMIT :limit" if limit else "")
    params = {"prompt_id": prompt_id, "start": start, "end": end, "limit": limit}
    profiles = []
    for row in session.execute(text(query), params).mappings():
        accuracy = MeanStats.from_rollup(int(row["accuracy_n"]), row["accuracy_sum"], row["accuracy_sum_sq"])
        executions = int(row["executions"])
        profiles.append(
            UserProfile(
                unit_id=row["unit_id"],
                executions=executions,
                corrections=int(row["corrections"]),
                failures=int(row["failures"]),
                accuracy=t_interval(accuracy),
                level=classify(executions, accuracy, thresholds),
            )
        )
    return profiles
