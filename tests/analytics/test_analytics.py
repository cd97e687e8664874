"""Analytics read from rollups equal the same figures computed from the raw records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import Engine

from core.analytics.cells import Scope, aggregate, total
from core.analytics.sections import section_combinations, section_effects
from core.analytics.summary import daily_series, prompt_summary
from core.analytics.tokens import token_budget_suggestion
from core.analytics.users import ExpertiseThresholds, expertise_profiles
from core.analytics.versions import compare_versions
from core.db.engine import transaction
from core.tracking.histogram import HIGH_ACCURACY
from tests.analytics.conftest import START, Traffic

END = START + timedelta(days=10)


@pytest.fixture
def traffic(make_traffic: Callable[..., Traffic]) -> Traffic:
    return make_traffic()


def _scope(t: Traffic, **kw: object) -> Scope:
    fields: dict[str, object] = {"prompt_id": t.prompt_id, "start": START, "end": END} | kw
    return Scope(**fields)  # type: ignore[arg-type]


def test_summary_matches_raw_records(engine: Engine, traffic: Traffic) -> None:
    acc = np.array([e["_accuracy"] for e in traffic.executions])
    with transaction(engine) as s:
        summary = prompt_summary(s, _scope(traffic))
    assert summary.executions == len(traffic.executions)
    assert summary.accuracy.value == pytest.approx(acc.mean(), abs=1e-9)
    assert summary.accuracy.interval.lower < acc.mean() < summary.accuracy.interval.upper
    assert summary.correction_rate.value == pytest.approx(
        np.mean([e["_corrected"] and not e["_failed"] for e in traffic.executions])
    )
    assert summary.failure_rate.value == pytest.approx(np.mean([e["_failed"] for e in traffic.executions]))
    latencies = np.array([e["latency_ms"] for e in traffic.executions])
    # read from a log-scale histogram: within one bucket (±13 %) of the exact percentile
    assert summary.latency_p95_ms == pytest.approx(np.percentile(latencies, 95), rel=0.13)
    assert summary.latency_p50_ms == pytest.approx(np.percentile(latencies, 50), rel=0.13)
    tokens = np.array([e["prompt_tokens"] for e in traffic.executions])
    assert summary.prompt_tokens_p95 == pytest.approx(np.percentile(tokens, 95), rel=0.13)
    assert summary.prompt_tokens_max == tokens.max()


def test_filters_select_the_same_rows_as_the_raw_records(engine: Engine, traffic: Traffic) -> None:
    novice = [e for e in traffic.executions if e["segment"]["expertise"] == "novice"]
    v2 = [e for e in traffic.executions if e["version"] == "1.1.0"]
    with transaction(engine) as s:
        by_segment = total(s, _scope(traffic, segment={"expertise": "novice"}))
        by_version = total(s, _scope(traffic).with_versions(traffic.version_ids["1.1.0"]))
        nothing = total(s, _scope(traffic, label="staging"))
    assert by_segment.executions == len(novice)
    assert by_segment.accuracy.mean == pytest.approx(np.mean([e["_accuracy"] for e in novice]))
    assert by_version.executions == len(v2) > 0
    assert nothing.executions == 0


def test_daily_series_in_a_time_zone(engine: Engine, traffic: Traffic) -> None:
    tz = "Pacific/Auckland"  # +13 h in November: many executions move to the next local day
    expected = Counter(
        datetime.fromisoformat(e["occurred_at"]).astimezone(ZoneInfo(tz)).date() for e in traffic.executions
    )
    with transaction(engine) as s:
        series = daily_series(s, _scope(traffic), tz=tz)
    assert {p.day: p.stats.executions for p in series} == dict(expected)
    assert [p.day for p in series] == sorted(expected)
    assert all(p.summary.latency_p95_ms is not None for p in series)


def test_section_effects_remove_confounding(engine: Engine, make_traffic: Callable[..., Traffic]) -> None:
    traffic = make_traffic(n=6000)
    with transaction(engine) as s:
        effects = {e.section_id: e.result for e in section_effects(s, _scope(traffic))}
    assert set(effects) == {"memory_recall_snippets", "user_profile_hint"}
    memory, hint = effects["memory_recall_snippets"], effects["user_profile_hint"]
    assert memory.interval.lower > 0.05  # planted +0.08
    assert memory.interval.lower < 0.08 < memory.interval.upper
    assert hint.naive_effect > 0.05  # included mostly for easy (expert) traffic: looks helpful naively
    assert hint.interval.lower < 0 < hint.interval.upper  # but has no effect once adjusted
    assert hint.observational


def test_section_combinations_are_standardized(engine: Engine, traffic: Traffic) -> None:
    with transaction(engine) as s:
        combos = section_combinations(s, _scope(traffic), min_n=100)
    assert combos
    best = combos[0]
    assert "memory_recall_snippets" in best.section_ids
    counts = Counter(tuple(sorted(e["sections"])) for e in traffic.executions)
    assert {c.section_ids: c.executions for c in combos} == {k: v for k, v in counts.items() if v >= 100}
    lowers = [c.standardized.interval.lower for c in combos]
    assert lowers == sorted(lowers, reverse=True)


def test_token_budget_suggestion(engine: Engine, traffic: Traffic) -> None:
    high = np.array([e["prompt_tokens"] for e in traffic.executions if e["_accuracy"] >= HIGH_ACCURACY])
    with transaction(engine) as s:
        suggestion = token_budget_suggestion(s, _scope(traffic), current_budget=4000, margin=0.2)
    assert suggestion.high_accuracy_executions == len(high)
    assert suggestion.p95_high_accuracy == pytest.approx(np.percentile(high, 95), rel=0.13)
    assert suggestion.suggested_budget is not None
    assert suggestion.suggested_budget % 50 == 0
    assert suggestion.suggested_budget >= np.percentile(high, 95) * 1.2 * 0.87
    assert suggestion.oversized_by is not None
    assert suggestion.oversized_by > 2


def test_version_comparison_detects_the_regression(engine: Engine, traffic: Traffic) -> None:
    with transaction(engine) as s:
        result = compare_versions(
            s,
            _scope(traffic, start=END - timedelta(days=3)),
            baseline_version_id=traffic.version_ids["1.0.0"],
            candidate_version_id=traffic.version_ids["1.1.0"],
            horizon=2000,
        )
    assert result.accuracy_regressed
    assert result.accuracy.interval.upper < 0
    assert result.accuracy.interval.lower < -0.10 < result.accuracy.interval.upper


def test_expertise_profiles(engine: Engine, traffic: Traffic) -> None:
    per_user = Counter(e["unit_id"] for e in traffic.executions)
    with transaction(engine) as s:
        profiles = expertise_profiles(
            s, prompt_id=traffic.prompt_id, start=date(2026, 11, 1), end=date(2026, 11, 11),
            thresholds=ExpertiseThresholds(expert_min_executions=50, expert_min_accuracy=0.76),
        )  # fmt: skip
    assert {p.unit_id: p.executions for p in profiles} == dict(per_user)
    assert [p.executions for p in profiles] == sorted((p.executions for p in profiles), reverse=True)
    for p in profiles:
        user_acc = np.mean([e["_accuracy"] for e in traffic.executions if e["unit_id"] == p.unit_id])
        assert p.accuracy.value == pytest.approx(user_acc)
        assert p.level == ("expert" if user_acc >= 0.76 and p.executions >= 50 else "intermediate")


def test_grouping_by_unknown_dimension_is_refused(engine: Engine) -> None:
    with transaction(engine) as s, pytest.raises(ValueError, match="unknown dimensions"):
        aggregate(s, Scope(prompt_id=1, start=START, end=END), by=("colour",))


def test_empty_scope_reads_as_empty(engine: Engine, traffic: Traffic) -> None:
    with transaction(engine) as s:
        empty = prompt_summary(s, Scope(prompt_id=traffic.prompt_id, start=END, end=END + timedelta(days=1)))
    assert empty.executions == 0
    assert empty.latency_p95_ms is None
    assert empty.accuracy.code.name == "EMPTY"
