"""Post-apply watch: did a version that recently replaced another on a watched label make things worse?

For every label move of the last ``watch_window_days`` (promotions, whether applied through a change
request or imported as history; rollbacks are not watched) whose label still points at the new
version, the new version's executions since the move are compared with the old version's
executions over a window of the same length just before the move, on the same label:

* **primary metric** — effective accuracy, always-valid test (``core.stats.sequential_test``), because
  the watch looks again every day;
* **guardrail: failure rate** — the same test on the share of failed executions;
* **guardrail: latency** — the share of executions slower than the old version's p95 (read from the
  rollups' latency histograms): 5 % by construction before the move, tested the same way.

A regression is a significant change in the harmful direction on any of them. The comparison is
before/after, not randomized: traffic that changed at the same moment (a holiday, an incident) is
confounded with the version. Reviewers see that caveat with the evidence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.analytics.cells import CellStats, Scope, total
from core.analytics.versions import VersionComparison, compare_stats
from core.db.models.registry import Label, LabelMove, Prompt, PromptVersion
from core.registry.settings import prompt_settings
from core.stats import DEFAULT_HORIZON, PropStats, SequentialResult, sequential_test
from core.tracking.histogram import bucket, percentile

logger = logging.getLogger(__name__)

CAVEAT = "before/after comparison, not randomized: changes in traffic at the same time are confounded"


@dataclass(frozen=True)
class WatchedMove:
    prompt: str
    label: str
    from_version: str
    to_version: str
    moved_at: datetime
    change_request_id: int | None


@dataclass(frozen=True)
class WatchResult:
    move: WatchedMove
    comparison: VersionComparison
    slow_share: SequentialResult  # share of executions slower than the old version's p95
    regressions: tuple[str, ...]  # which metrics regressed significantly

    @property
    def regressed(self) -> bool:
        return bool(self.regressions)

    def evidence(self) -> dict[str, Any]:
        """Change-request evidence for a rollback (``core.governance.evidence`` format)."""
        tests = {
            "accuracy": self.comparison.accuracy,
            "failure_rate": self.comparison.failure_rate,
            "slow_share": self.slow_share,
        }
        figures = [
            {
                "name": f"{name} (new − old)",
                "estimate": result.delta,
                "lower": result.interval.lower,
                "upper": result.interval.upper,
                "level": 1 - result.alpha,
                "n": result.n_control + result.n_treatment,
                "unit": "absolute",
                "p_value_always_valid": result.p_value,
            }
            for name, result in tests.items()
        ]
        worst_p = min(tests[name].p_value for name in self.regressions) if self.regressions else 1.0
        return {
            "summary": (
                f"{self.move.prompt} {self.move.to_version} on '{self.move.label}' regressed on "
                f"{', '.join(self.regressions)} against {self.move.from_version} since "
                f"{self.move.moved_at:%Y-%m-%d %H:%M} UTC ({CAVEAT})"
            ),
            "figures": figures,
            "stats": {
                "min_group_size": min(self.comparison.baseline.executions, self.comparison.candidate.executions),
                "confidence": 1 - worst_p,
                "method": "always-valid confidence sequences (Waudby-Smith et al. 2023), before/after windows",
            },
        }


def recent_moves(
    session: Session, *, now: datetime, window: timedelta, labels: tuple[str, ...] | None = None
) -> list[WatchedMove]:
    """Promotions in ``[now - window, now)`` whose label still points at the promoted version; on the
    given ``labels``, or by default on each prompt's own ``insights.regression_labels`` setting
    (``production`` unless configured), the labels whose regressions matter for that prompt."""
    new, old = PromptVersion.__table__.alias("new"), PromptVersion.__table__.alias("old")
    rows = session.execute(
        select(
            Prompt.name, LabelMove.label, old.c.version, new.c.version, LabelMove.moved_at, LabelMove.change_request_id,
            Prompt.settings,
        )
        .join(Prompt, Prompt.id == LabelMove.prompt_id)
        .join(new, new.c.id == LabelMove.to_version_id)
        .join(old, old.c.id == LabelMove.from_version_id)
        .join(Label, (Label.prompt_id == LabelMove.prompt_id) & (Label.name == LabelMove.label))
        .where(
            LabelMove.kind == "set",
            LabelMove.moved_at >= now - window,
            LabelMove.moved_at < now,
            Label.version_id == LabelMove.to_version_id,
        )
        .order_by(LabelMove.moved_at)
    ).all()  # fmt: skip
    return [WatchedMove(*row[:6]) for row in rows if row.label in (labels or _watched_labels(row.settings))]


def _watched_labels(raw: dict[str, Any]) -> tuple[str, ...]:
    try:
        return tuple(prompt_settings(raw).insights.regression_labels)
    except PydanticValidationError:  # broken settings: watch the default rather than nothing
        logger.warning("prompt settings do not validate; watching 'production' only")
        return ("production",)


def slow_share(baseline: CellStats, candidate: CellStats, *, level: float, horizon: float) -> SequentialResult:
    """Sequential test of the share of executions slower than the baseline's p95 (from histograms)."""
    hist_b = baseline.histograms.get("latency_hist") or ()
    hist_c = candidate.histograms.get("latency_hist") or ()
    p95 = percentile(hist_b, 0.95) if hist_b else None
    if p95 is None or not hist_c:
        return sequential_test(PropStats.empty(), PropStats.empty(), level=level, horizon=horizon)
    # whole buckets above the one holding the baseline's p95, counted alike on both sides
    first = bucket(p95) + 1
    slow_b, slow_c = sum(hist_b[first:]), sum(hist_c[first:])
    return sequential_test(PropStats(sum(hist_b), slow_b), PropStats(sum(hist_c), slow_c), level=level, horizon=horizon)


def watch_move(
    session: Session, move: WatchedMove, *, now: datetime, level: float = 0.95, horizon: float = DEFAULT_HORIZON
) -> WatchResult:
    """Compare one promoted version with the one it replaced, over equal windows before and after."""
    prompt = session.scalar(select(Prompt).where(Prompt.name == move.prompt))
    assert prompt is not None
    ids = dict(
        session.execute(
            select(PromptVersion.version, PromptVersion.id).where(
                PromptVersion.prompt_id == prompt.id,
                PromptVersion.version.in_([move.from_version, move.to_version]),
            )
        ).all()
    )
    since = now - move.moved_at
    after = Scope(prompt.id, move.moved_at, now, (ids[move.to_version],), move.label)
    before = Scope(prompt.id, move.moved_at - since, move.moved_at, (ids[move.from_version],), move.label)
    old = total(session, before, histograms=("latency_hist",))
    new = total(session, after, histograms=("latency_hist",))
    comparison = compare_stats(old, new, level=level, horizon=horizon)
    slow = slow_share(old, new, level=level, horizon=horizon)
    regressions = tuple(
        name
        for name, result, harmful_sign in (
            ("accuracy", comparison.accuracy, -1),
            ("failure_rate", comparison.failure_rate, 1),
            ("slow_share", slow, 1),
        )
        if result.significant and result.delta * harmful_sign > 0
    )
    return WatchResult(move=move, comparison=comparison, slow_share=slow, regressions=regressions)


def watch(
    session: Session,
    *,
    now: datetime,
    window_days: int,
    labels: tuple[str, ...] | None = None,
    level: float = 0.95,
    horizon: float = DEFAULT_HORIZON,
) -> list[WatchResult]:
    """Compare every recently promoted version with the one it replaced (one session; the policy-update
    flow watches each move on its own instead, so that one failure does not stop the others)."""
    moves = recent_moves(session, now=now, window=timedelta(days=window_days), labels=labels)
    return [watch_move(session, move, now=now, level=level, horizon=horizon) for move in moves]
