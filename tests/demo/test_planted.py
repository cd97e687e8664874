"""Every planted condition is in the generated records at its documented size (PLANTED.md).

Sizes are measured on the records through ingestion's own precedence rules (tests/demo/frames.py)
and compared with the scenario's constants. Tolerance: 4 standard errors of the measured figure
(a 6e-5 chance of a false failure per check under the model), so a check fails when the planted
size moves, not when sampling noise does. Seed 7, scale 0.3 (see conftest.py).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core.demo.scenario import (
    CONFOUNDED_INCLUSION,
    DATE_FORMAT_GROWTH,
    DIMENSION_EXTRACTION,
    HELPFUL_EFFECT,
    LEAD_ENRICHMENT_EN,
    OUTAGE,
    PLANNING_TOKEN_BUDGET,
    PROMPTS,
    REGRESSION_DAY,
    REGRESSION_DROP,
    SALES,
    THOUGHT_TO_INTENT,
)
from core.registry.spec import parse_spec
from core.stats import EffectCell, MeanStats, adjusted_effect, robust_z_scores, sequential_test, trend_slope
from tests.demo.conftest import END

TOLERANCE_SE = 4.0
US_DATE = r"\d\d/\d\d/\d{4}"


def _stats(values: pd.Series) -> MeanStats:
    return MeanStats.from_array(values.to_numpy(dtype=float))


def _se_diff(a: pd.Series, b: pd.Series) -> float:
    return math.sqrt(a.var() / len(a) + b.var() / len(b))


def _section_effect(rows: pd.DataFrame, section: str, strata: list[str]) -> tuple[float, float, float, float]:
    """(adjusted effect, its SE, its p-value, naive effect), post-stratified like the rollups allow."""
    included = rows["sections"].map(lambda ids: section in ids)
    key = rows[strata].apply(tuple, axis=1)
    cells = [
        EffectCell(stratum=k, included=bool(inc), stats=_stats(group["accuracy"]))
        for (k, inc), group in rows.groupby([key, included])
    ]
    result = adjusted_effect(cells)
    return result.effect, result.std_error, result.p_value, result.naive_effect


def test_regression_after_the_production_move(frame: pd.DataFrame) -> None:
    rows = frame[(frame.prompt == "dimension_extraction") & (frame.label == "production")]
    moved = pd.Timestamp(END, tz="UTC") + pd.Timedelta(days=REGRESSION_DAY)
    old, new = rows[rows.version == "2.0.0"], rows[rows.version == "2.1.0"]
    assert old.occurred_at.max() < moved <= new.occurred_at.min()
    delta = new.accuracy.mean() - old.accuracy.mean()
    expected = -REGRESSION_DROP * (1 - DIMENSION_EXTRACTION.failure_rate)
    assert abs(delta - expected) < TOLERANCE_SE * _se_diff(old.accuracy, new.accuracy)
    # The always-valid test sees it within the first week after the move (the watch window).
    first_week = new[new.occurred_at < moved + pd.Timedelta(days=7)]
    result = sequential_test(_stats(old.accuracy), _stats(first_week.accuracy))
    assert result.significant and result.interval.upper < 0
    # Its cause is visible in the corrections: unconverted units (inches, pounds) jump after the move.
    units = rows.original.fillna("").str.contains(r" (?:in|lb)$")
    assert units[rows.version == "2.1.0"].mean() > 2.5 * units[rows.version == "2.0.0"].mean()


def test_memory_recall_snippets_truly_helps(frame: pd.DataFrame) -> None:
    rows = frame[frame.prompt == "thought_to_intent"]
    included = rows.sections.map(lambda ids: "memory_recall_snippets" in ids)
    for _level, flags in included.groupby(rows.expertise):  # ~50 % whatever the difficulty
        assert abs(flags.mean() - 0.5) < TOLERANCE_SE * math.sqrt(0.25 / len(flags))
    effect, se, p_value, _naive = _section_effect(rows, "memory_recall_snippets", ["expertise", "language"])
    expected = HELPFUL_EFFECT * (1 - THOUGHT_TO_INTENT.failure_rate)
    assert abs(effect - expected) < TOLERANCE_SE * se
    assert p_value < 1e-9


def test_user_profile_hints_is_confounded_with_expertise_and_has_no_effect(frame: pd.DataFrame) -> None:
    rows = frame[(frame.prompt == "thought_to_intent") & (frame.version != "1.0.0")]  # 1.0.0 lacks the section
    included = rows.sections.map(lambda ids: "user_profile_hints" in ids)
    for level, flags in included.groupby(rows.expertise):
        p = CONFOUNDED_INCLUSION[str(level)]
        assert abs(flags.mean() - p) < TOLERANCE_SE * math.sqrt(p * (1 - p) / len(flags))
    effect, se, p_value, naive = _section_effect(rows, "user_profile_hints", ["expertise", "language"])
    naive_se = _se_diff(rows.accuracy[included], rows.accuracy[~included])
    assert naive > 0.015 and naive / naive_se > 4  # a naive with/without comparison "finds" an effect
    assert abs(effect) < TOLERANCE_SE * se and p_value > 0.05  # adjusting for expertise removes it
    # The confounder is a configured segment dimension, so rollups carry what the adjustment needs.
    assert "expertise" in THOUGHT_TO_INTENT.segment_dimensions


def test_anomaly_day_on_lead_enrichment_en(frame: pd.DataFrame) -> None:
    rows = frame[frame.prompt == "lead_enrichment_en"]
    daily = rows.groupby("day").agg(
        accuracy=("accuracy", "mean"), failures=("failed", "mean"), sd=("accuracy", "std"), n=("id", "size")
    )
    outage_share = sum(SALES.hour_profile[OUTAGE.start_hour : OUTAGE.end_hour]) / sum(SALES.hour_profile)
    f = LEAD_ENRICHMENT_EN.failure_rate
    expected_failures = f * (1 - outage_share) + OUTAGE.failure_rate * outage_share
    day = daily.loc[OUTAGE.day]
    assert abs(day.failures - expected_failures) < TOLERANCE_SE * math.sqrt(expected_failures / day.n)
    usual = daily.drop(index=OUTAGE.day).accuracy.median()
    mu = usual / (1 - f)  # accuracy of a successful call on a usual day
    expected_drop = outage_share * (usual - (1 - OUTAGE.failure_rate) * (mu - OUTAGE.accuracy_drop))
    assert abs((usual - day.accuracy) - expected_drop) < TOLERANCE_SE * day.sd / math.sqrt(day.n)
    # A robust z-score against the trailing days flags that day, and only that day, as low.
    _, z = robust_z_scores(daily.accuracy.to_numpy(), min_history=14)
    flagged = daily.index[np.nan_to_num(z) < -3.5].tolist()
    assert flagged == [OUTAGE.day]


def test_date_format_corrections_grow_over_the_last_week(frame: pd.DataFrame) -> None:
    rows = frame[frame.prompt == "thought_to_intent"]
    themed = rows.original.fillna("").str.contains(US_DATE)
    assert (rows.corrected_text[themed].str.contains(r"\d{4}-\d\d-\d\d")).all()  # the fix: ISO dates
    share = themed.groupby(rows.day).mean()
    n = rows.groupby("day").size()
    g = DATE_FORMAT_GROWTH
    before = themed[rows.day < -7]
    assert abs(before.mean() - g.baseline) < TOLERANCE_SE * math.sqrt(g.baseline / len(before))
    adoption = 0.7 * (np.arange(7) + 0.5) / 7  # new release's share of calls, mid-day, days -7..-1
    expected = g.baseline + g.per_adopter * adoption
    last_week = themed[rows.day >= -7]
    pooled = float(np.average(expected, weights=n.loc[-7:].to_numpy()))
    assert abs(last_week.mean() - pooled) < TOLERANCE_SE * math.sqrt(pooled / len(last_week))
    assert share.loc[-1] > 4 * g.baseline
    trend = trend_slope(share.loc[-7:].to_numpy())
    assert trend.interval.lower > 0
    # The theme is specific: no other prompt produces US-format dates.
    others = frame[frame.prompt != "thought_to_intent"].original.fillna("")
    assert not others.str.contains(US_DATE).any()


def test_planning_token_budget_is_far_above_use(frame: pd.DataFrame) -> None:
    for plan in PROMPTS:
        budgets = {parse_spec(dict(v.spec)).content().token_budget for v in plan.versions}
        p95 = frame[frame.prompt == plan.name].prompt_tokens.quantile(0.95)
        if plan.name == "planning":
            assert budgets == {PLANNING_TOKEN_BUDGET}
            assert 1000 <= p95 <= 1250
        else:
            assert all(b is not None and 1.15 < b / p95 < 1.6 for b in budgets), (plan.name, budgets, p95)


def test_lead_enrichment_fr_has_no_planted_problem(frame: pd.DataFrame) -> None:
    rows = frame[frame.prompt == "lead_enrichment_fr"]
    production = rows[rows.label == "production"]
    promoted = sequential_test(
        _stats(production[production.version == "1.0.0"].accuracy),
        _stats(production[production.version == "1.1.0"].accuracy),
    )
    assert not (promoted.significant and promoted.delta < 0)
    daily = rows.groupby("day").agg(accuracy=("accuracy", "mean"), corrections=("corrected", "mean"))
    _, z_accuracy = robust_z_scores(daily.accuracy.to_numpy(), min_history=14)
    _, z_corrections = robust_z_scores(daily.corrections.to_numpy(dtype=float), min_history=14)
    assert np.nanmin(z_accuracy) > -3.5 and np.nanmax(z_corrections) < 3.5
    _effect, _se, p_value, _naive = _section_effect(rows, "source_citation", ["expertise"])
    assert p_value > 0.05
    mean, se = rows.accuracy.mean(), rows.accuracy.std() / math.sqrt(len(rows))
    assert mean - 1.96 * se > 0.9  # no low-accuracy alarm either
