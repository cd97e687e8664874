"""Each rule of the table on hand-made snapshots: it fires on its condition and only then."""

from __future__ import annotations

import math

import numpy as np
import pytest

from console.widgets.insight_evidence import evidence_chart
from core.analytics.summary import summarize
from core.insights.findings import Finding, Rule
from core.insights.rules import RULES, RULES_BY_ID, run_rules
from core.insights.settings import InsightSettings
from core.insights.snapshot import PromptSnapshot
from core.stats import Code, Estimate, Interval
from tests.insights.factories import budget, cells, days, regression, snapshot


def _check(rule_id: str, snap: PromptSnapshot) -> list[Finding] | None:
    rule = RULES_BY_ID[rule_id]
    return rule.check(snap, rule)


def test_the_table_covers_every_category_and_names_real_thresholds() -> None:
    assert {r.category for r in RULES} == {"accuracy", "regression", "anomaly", "corrections", "cost", "latency"}
    fields = set(InsightSettings.model_fields)
    for rule in RULES:
        assert set(rule.thresholds) <= fields, rule.id


# --- low accuracy -------------------------------------------------------------------------------


def test_low_accuracy_fires_when_the_whole_interval_is_below_the_threshold() -> None:
    low = snapshot(summary=summarize(cells(500, 0.70)))
    [finding] = _check("low_accuracy", low) or []
    assert (finding.key, finding.category, finding.priority) == ("low_accuracy", "accuracy", "high")
    assert finding.evidence["accuracy"]["upper"] < 0.8
    assert finding.evidence["chart"]["type"] == "line"


def test_low_accuracy_is_silent_when_the_interval_reaches_the_threshold() -> None:
    # mean below 0.8 but too few calls to be sure: the upper bound is above it
    assert _check("low_accuracy", snapshot(summary=summarize(cells(12, 0.78, sd=0.2)))) == []
    assert _check("low_accuracy", snapshot(summary=None)) is None


def test_the_accuracy_threshold_is_a_per_prompt_setting() -> None:
    snap = snapshot(summary=summarize(cells(2000, 0.9)), settings=InsightSettings(accuracy_threshold=0.95))
    assert [f.key for f in _check("low_accuracy", snap) or []] == ["low_accuracy"]


# --- regression after a label move ----------------------------------------------------------------


def test_regression_is_critical_when_accuracy_drops_significantly() -> None:
    check = regression(cells(3000, 0.90, seed=1), cells(1500, 0.84, seed=2))
    [finding] = _check("regression_after_move", snapshot(regressions=(check,))) or []
    assert finding.key == "regression:production:1.0.0->1.1.0"
    assert finding.priority == "critical"
    assert finding.evidence["accuracy"]["significant"] is True
    assert finding.evidence["accuracy"]["interval"]["upper"] < 0
    assert finding.evidence["randomized"] is False
    assert "not randomized" in finding.description


def test_no_regression_for_an_equal_or_better_version() -> None:
    same = regression(cells(3000, 0.90, seed=1), cells(1500, 0.90, seed=2))
    better = regression(cells(3000, 0.90, seed=1), cells(1500, 0.93, seed=2))
    assert _check("regression_after_move", snapshot(regressions=(same, better))) == []
    assert _check("regression_after_move", snapshot(regressions=None)) is None


def test_a_failure_rate_regression_alone_is_high_not_critical() -> None:
    check = regression(cells(3000, 0.90, seed=1, failures=30), cells(3000, 0.90, seed=1, failures=300))
    [finding] = _check("regression_after_move", snapshot(regressions=(check,))) or []
    assert finding.priority == "high"
    assert "failure rate" in finding.title


# --- anomalous day --------------------------------------------------------------------------------


def _noisy(n: int, centre: float, sd: float, seed: int = 3) -> list[float]:
    return list(np.random.default_rng(seed).normal(centre, sd, n))


def test_a_recent_low_accuracy_day_is_an_anomaly() -> None:
    values = _noisy(30, 0.92, 0.005)
    values[-4] = 0.78
    [finding] = _check("anomalous_day", snapshot(daily=days(values))) or []
    assert finding.key == "anomaly:accuracy"
    assert finding.evidence["days"][0]["day"] == "2026-02-26"
    assert finding.evidence["days"][0]["robust_z"] < -3.5


def test_old_anomalies_high_accuracy_and_small_days_are_not_reported() -> None:
    old = _noisy(30, 0.92, 0.005)
    old[-12] = 0.70  # outside the last 7 complete days
    assert _check("anomalous_day", snapshot(daily=days(old))) == []
    good = _noisy(30, 0.92, 0.005)
    good[-2] = 0.99  # accuracy anomalies only count downwards
    assert _check("anomalous_day", snapshot(daily=days(good))) == []
    small = days(old[:-12] + [0.5] * 12, executions=5)  # too few executions to score
    assert _check("anomalous_day", snapshot(daily=small)) == []
    assert _check("anomalous_day", snapshot(daily=days(old[:10]))) is None  # too little history


def test_a_correction_rate_spike_is_an_anomaly() -> None:
    values = _noisy(30, 0.10, 0.004)
    values[-1] = 0.2
    [finding] = _check("anomalous_day", snapshot(daily=days(values, metric="correction_rate"))) or []
    assert finding.key == "anomaly:correction_rate"


# --- cost and latency ----------------------------------------------------------------------------


def test_a_budget_far_above_use_is_a_cost_finding() -> None:
    tokens = list(np.random.default_rng(5).lognormal(np.log(800), 0.2, 2000))
    [finding] = _check("oversized_token_budget", snapshot(budget=budget(4000, tokens))) or []
    assert finding.category == "cost"
    assert finding.key == "cost:token_budget:1.0.0"
    assert 900 < finding.evidence["suggested_budget"] < 1600
    assert _check("oversized_token_budget", snapshot(budget=budget(1400, tokens))) == []
    assert _check("oversized_token_budget", snapshot(budget=None)) is None


def test_latency_fires_only_when_the_p95_lower_bound_is_above_the_target() -> None:
    slow = Estimate(12_000.0, Interval(11_000.0, 13_000.0, 0.95), 900, Code.OK)
    close = Estimate(10_500.0, Interval(9_500.0, 11_500.0, 0.95), 900, Code.OK)
    [finding] = _check("latency_p95_above_target", snapshot(latency_p95=slow)) or []
    assert finding.key == "latency:p95"
    figure = evidence_chart(finding.evidence, tz="UTC")  # what the Insights page draws
    assert figure is not None
    [bar] = figure.data
    assert list(bar.y) == [12_000.0, finding.evidence["target_ms"]]
    assert (bar.error_y.array[0], bar.error_y.arrayminus[0]) == (1_000.0, 1_000.0)  # the p95's interval
    assert _check("latency_p95_above_target", snapshot(latency_p95=close)) == []
    off = snapshot(latency_p95=slow, settings=InsightSettings(latency_p95_target_ms=None))
    assert _check("latency_p95_above_target", off) is None


# --- the table runner ------------------------------------------------------------------------------


def test_overrides_disabled_rules_and_a_broken_rule() -> None:
    settings = InsightSettings(priorities={"low_accuracy": "critical"}, disabled_rules=["latency_p95_above_target"])

    def broken(snap: PromptSnapshot, rule: Rule) -> list[Finding] | None:
        raise RuntimeError("boom")

    rules = (*RULES, Rule("broken", "cost", "low", "always fails", (), broken))
    run = run_rules(snapshot(summary=summarize(cells(500, 0.7)), settings=settings), rules)
    assert [(f.key, f.priority) for f in run.findings] == [("low_accuracy", "critical")]
    assert "latency_p95_above_target" not in run.evaluated
    assert "low_accuracy" in run.evaluated
    assert run.errors == {"broken": "RuntimeError: boom"}
    assert not math.isnan(run.findings[0].evidence["accuracy"]["value"])


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_copes_with_an_empty_snapshot(rule: Rule) -> None:
    empty = snapshot(summary=None)
    assert rule.check(empty, rule) in (None, [])
