"""Rule checks about answer quality: low accuracy, regression after a label move, anomalous days (pure)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.insights.findings import (
    Finding,
    Priority,
    Rule,
    estimate_json,
    line_chart,
    num,
    pct,
    sequential_json,
)
from core.insights.snapshot import DayFigures, PromptSnapshot, RegressionCheck
from core.stats import robust_anomalies


def _daily_chart(snapshot: PromptSnapshot, metric: str, **extra: Any) -> dict[str, Any]:
    days = [d.day.isoformat() for d in snapshot.daily]
    return line_chart(days, {metric: [getattr(d, metric) for d in snapshot.daily]}, y=metric, **extra)


def low_accuracy(snapshot: PromptSnapshot, rule: Rule) -> list[Finding] | None:
    """The accuracy interval over the recent window lies wholly below the prompt's threshold."""
    summary = snapshot.summary
    if summary is None or not math.isfinite(summary.accuracy.interval.upper):
        return None
    threshold = snapshot.settings.accuracy_threshold
    accuracy = summary.accuracy
    if accuracy.interval.upper >= threshold:
        return []
    days = snapshot.settings.window_days
    return [
        Finding(
            rule=rule.id,
            key="low_accuracy",
            category=rule.category,
            priority=rule.priority(snapshot),
            title=f"Accuracy {pct(accuracy.value)} is below the {pct(threshold)} threshold",
            description=(
                f"Over the last {days} days the mean effective accuracy of {snapshot.prompt} was "
                f"{pct(accuracy.value)} (95 % interval {pct(accuracy.interval.lower)}–{pct(accuracy.interval.upper)}, "
                f"n = {accuracy.n}); even the interval's upper bound is below the threshold {pct(threshold)}."
            ),
            action_items=(
                "Read the correction patterns of this prompt: they say what users fix most.",
                "Check whether a recent version, section or traffic change lines up with the drop.",
                "Run an induction or an experiment against the current version to find a better one.",
            ),
            evidence={
                "accuracy": estimate_json(accuracy),
                "threshold": threshold,
                "window_days": days,
                "chart": _daily_chart(snapshot, "accuracy", threshold=threshold),
            },
        )
    ]


def regression_after_move(snapshot: PromptSnapshot, rule: Rule) -> list[Finding] | None:
    """The version now on a watched label is worse than the one it replaced (always-valid tests).

    Windows: the baseline is the replaced version's traffic on the same label during the
    ``regression_baseline_days`` before the move; the candidate is the new version's traffic on the
    label from the move until now, for at most ``regression_watch_days`` (then the verdict freezes
    until the label moves again). The test is a confidence sequence, valid however often it is
    looked at, so the hourly run may read it every hour. Before/after is not randomized: a change of
    traffic mix or season between the two windows is attributed to the version; an experiment (or a
    rollback) settles it.
    """
    if snapshot.regressions is None:
        return None
    findings = []
    for check in snapshot.regressions:
        finding = _regression(snapshot, rule, check)
        if finding is not None:
            findings.append(finding)
    return findings


def _regression(snapshot: PromptSnapshot, rule: Rule, check: RegressionCheck) -> Finding | None:
    c, move = check.comparison, check.move
    accuracy_down = c.accuracy.significant and c.accuracy.delta < 0
    failures_up = c.failure_rate.significant and c.failure_rate.delta > 0
    corrections_up = c.correction_rate.significant and c.correction_rate.delta > 0
    if not (accuracy_down or failures_up or corrections_up):
        return None
    priority: Priority = rule.priority(snapshot) if accuracy_down else "high"
    worse = [
        name
        for name, flag in (
            ("accuracy", accuracy_down),
            ("failure rate", failures_up),
            ("correction rate", corrections_up),
        )
        if flag
    ]
    a = c.accuracy
    return Finding(
        rule=rule.id,
        key=f"regression:{move.label}:{move.from_version}->{move.to_version}",
        category=rule.category,
        priority=priority,
        title=f"{move.to_version} on {move.label} regressed against {move.from_version}: {', '.join(worse)}",
        description=(
            f"Since {move.label} moved from {move.from_version} to {move.to_version} on {move.moved_at:%Y-%m-%d %H:%M} "
            f"UTC, accuracy changed by {a.delta:+.4f} (always-valid 95 % interval {a.interval.lower:+.4f} to "
            f"{a.interval.upper:+.4f}; n = {a.n_treatment} vs {a.n_control}). The comparison is before vs after "
            "the move, not randomized: a change of traffic in between would be attributed to the version."
        ),
        action_items=(
            f"Roll {move.label} back to {move.from_version} (a rollback change request) if the loss is confirmed.",
            f"Diff {move.from_version} and {move.to_version}: the removed or changed sections are the suspects.",
            "Confirm with an experiment between the two versions if the traffic changed around the move.",
        ),
        evidence={
            "label": move.label,
            "baseline_version": move.from_version,
            "candidate_version": move.to_version,
            "moved_at": move.moved_at.isoformat(),
            "baseline_window": [check.baseline_start.isoformat(), move.moved_at.isoformat()],
            "candidate_window": [move.moved_at.isoformat(), check.candidate_end.isoformat()],
            "accuracy": sequential_json(c.accuracy),
            "failure_rate": sequential_json(c.failure_rate),
            "correction_rate": sequential_json(c.correction_rate),
            "baseline_accuracy": num(c.baseline.accuracy.mean if c.baseline.accuracy.n else None),
            "candidate_accuracy": num(c.candidate.accuracy.mean if c.candidate.accuracy.n else None),
            "randomized": False,
            "chart": _daily_chart(snapshot, "accuracy", marker=move.moved_at.isoformat()),
        },
    )


# metric -> (the direction that is bad, what it is called)
ANOMALY_METRICS: dict[str, tuple[str, str]] = {
    "accuracy": ("low", "accuracy"),
    "correction_rate": ("high", "correction rate"),
    "failure_rate": ("high", "failure rate"),
}


def anomalous_day(snapshot: PromptSnapshot, rule: Rule) -> list[Finding] | None:
    """A recent complete day whose accuracy, correction or failure rate is far from its trailing history.

    Robust z (median / MAD of the previous ``anomaly_window_days`` days, at least
    ``anomaly_min_history`` of them; ``core.stats.robust_anomalies``); days with fewer than
    ``anomaly_min_daily_executions`` executions are not scored. Only the bad direction is reported,
    and only days among the last ``anomaly_recent_days`` complete days. One insight per metric.
    """
    s = snapshot.settings
    daily = snapshot.daily
    if len(daily) <= s.anomaly_min_history:
        return None
    recent_from = snapshot.today.toordinal() - s.anomaly_recent_days
    findings = []
    for metric, (bad, name) in ANOMALY_METRICS.items():
        values = np.array(
            [
                getattr(d, metric)
                if getattr(d, metric) is not None and d.executions >= s.anomaly_min_daily_executions
                else np.nan
                for d in daily
            ],
            dtype=np.float64,
        )
        points = robust_anomalies(
            values, window=s.anomaly_window_days, threshold=s.anomaly_threshold, min_history=s.anomaly_min_history
        )
        flagged = [p for p in points if p.direction == bad and daily[p.index].day.toordinal() >= recent_from]
        if flagged:
            findings.append(_anomaly(snapshot, rule=rule, metric=metric, name=name, flagged=flagged, daily=daily))
    return findings


def _anomaly(
    snapshot: PromptSnapshot, *, rule: Rule, metric: str, name: str, flagged: list[Any], daily: tuple[DayFigures, ...]
) -> Finding:
    worst = max(flagged, key=lambda p: abs(p.robust_z))
    day = daily[worst.index]
    days = [
        {
            "day": daily[p.index].day.isoformat(),
            "value": num(p.value),
            "expected": num(p.expected),
            "robust_z": num(p.robust_z, 2),
            "executions": daily[p.index].executions,
        }
        for p in flagged
    ]
    more = f" and {len(flagged) - 1} other recent day(s)" if len(flagged) > 1 else ""
    return Finding(
        rule=rule.id,
        key=f"anomaly:{metric}",
        category=rule.category,
        priority=rule.priority(snapshot),
        title=f"Anomalous {name} on {day.day.isoformat()}{more}: {pct(worst.value)} vs typical {pct(worst.expected)}",
        description=(
            f"On {day.day.isoformat()} the {name} of {snapshot.prompt} was {pct(worst.value)} against a median of "
            f"{pct(worst.expected)} over the previous days (robust z = {worst.robust_z:.1f}, threshold "
            f"{snapshot.settings.anomaly_threshold}; {day.executions} executions that day)."
        ),
        action_items=(
            "Look at that day's failures and latency: an upstream outage or a deploy usually explains a single day.",
            "Check label moves and client releases on that day.",
            "If the cause is known and fixed, resolve this insight with a note.",
        ),
        evidence={
            "metric": metric,
            "days": days,
            "threshold": snapshot.settings.anomaly_threshold,
            "min_history": snapshot.settings.anomaly_min_history,
            "chart": _daily_chart(snapshot, metric, flagged=[d["day"] for d in days]),
        },
    )
