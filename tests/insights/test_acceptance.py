"""Acceptance on the demo data (PLANTED.md): each planted condition produces the right insight or
recommendation, the confounded null section is not recommended, and the prompt without a planted
problem raises nothing critical.

The demo is seeded once for the module (seed 7, scale 0.3, 30 days ending 2026-03-02), then one hourly
discovery runs for every prompt and one weekly analysis + finalisation, with ``now`` = the end of the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from core.config import Settings
from core.db.engine import make_engine, transaction
from core.demo.seed import seed_demo
from core.insights.discovery import DiscoveryResult, discover_prompt
from core.insights.lifecycle import InsightView, list_insights
from core.recommend.report import get_report
from core.recommend.store import RecommendationView, list_recommendations
from core.recommend.weekly import WeeklyOutcome, analyse_prompt, finalise
from core.registry.prompts import list_prompts
from tests.conftest import _scratch_database

END = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, tzinfo=UTC)


@dataclass(frozen=True)
class Demo:
    discovery: dict[str, DiscoveryResult]
    rerun: dict[str, DiscoveryResult]
    weekly: WeeklyOutcome
    insights: list[InsightView]
    recommendations: list[RecommendationView]
    report_markdown: str


def _discover(engine: Engine, names: list[str], at: datetime, settings: Settings) -> dict[str, DiscoveryResult]:
    """What the hourly flow does: one transaction per prompt."""
    results = {}
    for name in names:
        with transaction(engine) as s:
            results[name] = discover_prompt(s, prompt_name=name, now=at, settings=settings)
    return results


@pytest.fixture(scope="module")
def demo(pg_server_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    for url in _scratch_database(pg_server_url, template=template_database):
        engine = make_engine(url)
        try:
            seed_demo(engine, days=30, scale=0.3, seed=7, end=END)
            settings = Settings(database_url=url, home=tmp_path_factory.mktemp("home"))
            with transaction(engine) as s:
                names = [p.name for p in list_prompts(s)]
            first = _discover(engine, names, NOW - timedelta(hours=1), settings)
            again = _discover(engine, names, NOW, settings)
            with transaction(engine) as s:
                analyses = [analyse_prompt(s, prompt_name=n, now=NOW, settings=settings) for n in names]
            with transaction(engine) as s:
                weekly = finalise(s, analyses=analyses, errors={}, now=NOW, settings=settings, actor="flow:test")
            with transaction(engine) as s:
                yield Demo(
                    discovery=first,
                    rerun=again,
                    weekly=weekly,
                    insights=list_insights(s),
                    recommendations=list_recommendations(s),
                    report_markdown=get_report(s, report_id=weekly.report_id).markdown,
                )
        finally:
            engine.dispose()


def _insights(demo: Demo, prompt: str, category: str) -> list[InsightView]:
    return [i for i in demo.insights if i.prompt == prompt and i.category == category and i.status == "open"]


def test_every_prompt_ran_without_errors_and_a_rerun_only_updates(demo: Demo) -> None:
    assert len(demo.discovery) == 5
    assert all(r.errors == {} for r in demo.discovery.values())
    assert sum(r.opened for r in demo.rerun.values()) == 0
    assert sum(r.updated for r in demo.rerun.values()) == sum(r.findings for r in demo.discovery.values())
    assert all(r.critical == [] for r in demo.rerun.values())  # notified once, when opened
    assert (demo.weekly.prompts, demo.weekly.errors) == (5, {})
    assert demo.report_markdown.startswith("# Weekly optimization report — 2026-02-02 to 2026-03-02")


def test_planted_regression_is_a_critical_regression_insight(demo: Demo) -> None:
    [insight] = _insights(demo, "dimension_extraction", "regression")
    assert insight.priority == "critical"
    assert insight.key == "regression:production:2.0.0->2.1.0"
    accuracy = insight.evidence["accuracy"]
    assert accuracy["significant"]
    assert accuracy["interval"]["upper"] < 0
    assert -0.09 < accuracy["delta"] < -0.03  # planted −0.064, measured −0.057 at this scale
    assert [ref.key for ref in demo.discovery["dimension_extraction"].critical] == [insight.key]


def test_planted_helpful_section_is_an_add_recommendation(demo: Demo) -> None:
    [rec] = [
        r for r in demo.recommendations if r.prompt == "thought_to_intent" and r.key == "section:memory_recall_snippets"
    ]
    assert (rec.kind, rec.status, rec.observational) == ("section_add", "new", True)
    assert 0.045 < rec.evidence["effect"] < 0.08  # planted +0.059
    assert rec.evidence["interval"]["lower"] > 0
    assert rec.confidence is not None
    assert rec.confidence >= 0.8
    assert min(rec.evidence["n_included"], rec.evidence["n_excluded"]) >= 100
    assert rec.evidence["label"] == "observational — confirm by experiment"


def test_planted_anomaly_day_is_an_anomaly_insight(demo: Demo) -> None:
    anomalies = {i.key: i for i in _insights(demo, "lead_enrichment_en", "anomaly")}
    accuracy = anomalies["anomaly:accuracy"]
    assert [d["day"] for d in accuracy.evidence["days"]] == ["2026-02-26"]  # day −4
    assert accuracy.evidence["days"][0]["robust_z"] < -3.5
    assert "anomaly:failure_rate" in anomalies  # the timeouts of that day


def test_planted_growing_pattern_is_a_corrections_insight_about_dates(demo: Demo) -> None:
    insights = _insights(demo, "thought_to_intent", "corrections")
    [dates] = [i for i in insights if "-99/99/9999" in i.evidence["pattern"]["terms"]]
    pattern = dates.evidence["pattern"]
    assert pattern["growth"]["delta"] > 0
    assert pattern["q_value"] <= 0.01
    assert pattern["share_this_week"]["value"] > pattern["share_before"]["value"]
    assert re.search(r"\d\d/\d\d/\d{4}", pattern["examples"][0]["original"])  # MM/DD/YYYY
    assert dates.evidence["chart"]["type"] == "line"


def test_planted_oversized_budget_is_a_cost_insight_and_a_budget_recommendation(demo: Demo) -> None:
    [cost] = _insights(demo, "planning", "cost")
    assert cost.evidence["current_budget"] == 4000
    [rec] = [r for r in demo.recommendations if r.prompt == "planning" and r.kind == "token_budget"]
    assert 1000 <= rec.payload["suggested"] <= 1600  # p95 ≈ 1,120 plus a margin
    assert rec.payload["current"] == 4000


def test_confounded_null_section_is_not_recommended(demo: Demo) -> None:
    assert not [r for r in demo.recommendations if r.key.endswith("user_profile_hints")]
    assert not [r for r in demo.recommendations if "user_profile_hints" in r.payload.get("sections", [])]
    assert "thought_to_intent · user_profile_hints: q-value" in demo.report_markdown


def test_the_prompt_without_a_planted_problem_raises_nothing_critical(demo: Demo) -> None:
    assert not [i for i in demo.insights if i.prompt == "lead_enrichment_fr" and i.priority == "critical"]
    assert demo.discovery["lead_enrichment_fr"].critical == []
    assert not [r for r in demo.recommendations if r.prompt == "lead_enrichment_fr"]


def test_only_planted_problems_are_critical(demo: Demo) -> None:
    critical = [(i.prompt, i.category) for i in demo.insights if i.priority == "critical"]
    assert critical == [("dimension_extraction", "regression")]
