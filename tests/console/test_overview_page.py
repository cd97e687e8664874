"""The Overview page shows what analytics computes from the rollups, with label moves on its charts.

A small known traffic set (two versions, two expertise segments, a staging and a production move
inside the data) goes through the real ingestion path and rollup refresh; the page's headline
figures and chart specs are compared with ``core.analytics`` read over the same scope.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from core.analytics.cells import Scope, total
from core.analytics.summary import Summary, daily_series, prompt_summary
from core.db.engine import transaction
from core.demo.seed import seed_demo
from core.registry.labels import move_label
from core.registry.prompts import create_prompt
from core.registry.settings import update_prompt_settings
from core.registry.spec import parse_spec
from core.registry.versions import add_version
from core.tracking.ingest import ingest_records
from core.tracking.rollups import refresh_rollups

START = datetime(2026, 3, 2, tzinfo=UTC)  # data covers 2 – 11 March 2026 (10 days)
DAYS = 10
PROMPT = "thought_to_intent"
PRODUCTION_MOVE = START + timedelta(days=6, hours=10, minutes=30)
STAGING_MOVE = START + timedelta(days=4)
SPEC = {"sections": [{"id": "identity_role", "text": "You extract intents."}]}


@dataclass
class Data:
    prompt_id: int
    version_ids: dict[str, int]


def _records(n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for i in range(n):
        at = START + timedelta(days=int(rng.integers(0, DAYS)), minutes=int(rng.integers(0, 1440)))
        label = "staging" if at >= STAGING_MOVE and rng.random() < 0.1 else "production"
        version = "1.1.0" if label == "staging" or at >= PRODUCTION_MOVE else "1.0.0"
        expertise = str(rng.choice(["novice", "expert"]))
        accuracy = float(np.clip((0.7 if expertise == "novice" else 0.9) + rng.normal(0, 0.08), 0, 1))
        records.append({
            "type": "execution", "id": f"e{i}", "prompt": PROMPT, "version": version, "label": label,
            "sections": ["identity_role"], "prompt_tokens": int(rng.integers(300, 900)),
            "completion_tokens": int(rng.integers(20, 80)), "latency_ms": float(rng.lognormal(6.5, 0.4)),
            "segment": {"expertise": expertise}, "occurred_at": at.isoformat(), "unit_id": f"u{i % 12}",
        })  # fmt: skip
        kind = rng.choice(["ok", "corrected", "failed"], p=[0.85, 0.1, 0.05])
        outcome: dict[str, Any] = {
            "type": "outcome",
            "id": f"o{i}",
            "execution_id": f"e{i}",
            "occurred_at": at.isoformat(),
        }
        if kind == "failed":
            outcome |= {"kind": "EXECUTION_FAILURE", "error": "timeout"}
        elif kind == "corrected":
            outcome |= {"kind": "USER_CORRECTION", "original": "a", "corrected": "b", "accuracy": accuracy}
        else:
            outcome |= {"kind": "QUALITY_SCORE", "score": accuracy}
        records.append(outcome)
    return records


@pytest.fixture
def data(engine: Engine) -> Data:
    with transaction(engine) as s:
        prompt = create_prompt(s, name=PROMPT, actor="t@x.io")
        content = parse_spec(SPEC).content()
        v1 = add_version(s, prompt_name=PROMPT, content=content, actor="t@x.io").version
        spec2 = {"sections": [*SPEC["sections"], {"id": "task_context", "text": "Reminders and notes."}]}
        v2 = add_version(s, prompt_name=PROMPT, content=parse_spec(spec2).content(), actor="t@x.io").version
        assert (v1.version, v2.version) == ("1.0.0", "1.1.0")
        update_prompt_settings(s, prompt_name=PROMPT, changes={"segment_dimensions": ["expertise"]}, actor="t")
        move_label(s, prompt_name=PROMPT, label="production", version="1.0.0", actor="t@x.io", reason="first",
                   moved_at=START - timedelta(days=60))  # fmt: skip
        move_label(s, prompt_name=PROMPT, label="staging", version="1.1.0", actor="bob@x.io", reason="try it",
                   moved_at=STAGING_MOVE)  # fmt: skip
        move_label(s, prompt_name=PROMPT, label="production", version="1.1.0", actor="alice@x.io",
                   reason="fewer misheard names", moved_at=PRODUCTION_MOVE)  # fmt: skip
        data = Data(prompt_id=prompt.id, version_ids={"1.0.0": v1.id, "1.1.0": v2.id})
    with transaction(engine) as s:
        ingest_records(s, _records(600, np.random.default_rng(5)))
    refresh_rollups(engine)
    return data


HEADLINE = ("Executions", "Accuracy", "Correction rate", "Failure rate", "Latency p50", "Latency p95", "Prompt tokens")


def _metrics(at: AppTest) -> dict[str, Any]:
    """The headline figures (the users section below them has metrics of its own)."""
    return {m.label: m for m in at.metric if m.label in HEADLINE}


def _charts(at: AppTest) -> dict[str, dict[str, Any]]:
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {spec["layout"]["title"]["text"].split(" (")[0]: spec for spec in specs}


def _trace(spec: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [t for t in spec["data"] if t.get("name") == name]


def _scope(data: Data, first: date, last: date, **kw: Any) -> Scope:
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    return Scope(prompt_id=data.prompt_id, start=start, end=start + timedelta(days=(last - first).days + 1), **kw)


def _expected(summary: Summary) -> dict[str, str]:
    return {
        "Executions": f"{summary.executions:,}",
        "Accuracy": f"{summary.accuracy.value:.1%}",
        "Correction rate": f"{summary.correction_rate.value:.1%}",
        "Failure rate": f"{summary.failure_rate.value:.1%}",
        "Latency p50": f"{summary.latency_p50_ms:,.0f} ms",
        "Latency p95": f"{summary.latency_p95_ms:,.0f} ms",
        "Prompt tokens": f"{summary.mean_prompt_tokens:,.0f}",
    }


def test_empty_database_explains_how_to_start(console_app: Callable[..., AppTest]) -> None:
    at = console_app()  # the Overview is the console's default page
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert any("No prompts yet" in info.value and "seed-demo" in info.value for info in at.info)
    assert not at.metric


def test_prompt_without_traffic_explains_how_to_record(engine: Engine, console_app: Callable[..., AppTest]) -> None:
    with transaction(engine) as s:
        create_prompt(s, name=PROMPT, actor="t@x.io")
    at = console_app()
    assert not at.exception
    assert any("No traffic recorded yet" in info.value for info in at.info)
    assert not at.get("plotly_chart")


def test_headline_figures_equal_analytics_for_the_default_period(
    engine: Engine, data: Data, console_app: Callable[..., AppTest]
) -> None:
    at = console_app()
    assert not at.exception
    # default period: the last 30 days of available data, which ended on 11 March
    assert at.date_input(key="overview.period").value == (date(2026, 2, 10), date(2026, 3, 11))
    with transaction(engine) as s:
        summary = prompt_summary(s, _scope(data, date(2026, 2, 10), date(2026, 3, 11)))
    metrics = _metrics(at)
    assert {label: m.value for label, m in metrics.items()} == _expected(summary)
    assert summary.executions == 600
    assert all(not m.delta for m in metrics.values())  # nothing in the previous 30 days to compare with
    lo, hi = summary.accuracy.interval.lower, summary.accuracy.interval.upper
    assert f"95 % CI {lo:.1%} – {hi:.1%}" in [c.value for c in at.caption]


def test_change_against_the_previous_period(engine: Engine, data: Data, console_app: Callable[..., AppTest]) -> None:
    at = console_app()
    at.date_input(key="overview.period").set_value((date(2026, 3, 7), date(2026, 3, 11))).run()
    assert not at.exception
    with transaction(engine) as s:
        now = prompt_summary(s, _scope(data, date(2026, 3, 7), date(2026, 3, 11)))
        before = prompt_summary(s, _scope(data, date(2026, 3, 2), date(2026, 3, 6)))
    metrics = _metrics(at)
    assert {label: m.value for label, m in metrics.items()} == _expected(now)
    assert metrics["Accuracy"].delta == f"{(now.accuracy.value - before.accuracy.value) * 100:+.1f} pp"
    assert metrics["Executions"].delta == f"{now.executions / before.executions - 1:+.1%}"
    assert "Change vs the previous 5 days" in metrics["Accuracy"].help


def test_charts_hold_daily_points_interval_band_and_label_moves(
    engine: Engine, data: Data, console_app: Callable[..., AppTest]
) -> None:
    at = console_app()
    charts = _charts(at)
    assert set(charts) == {"Accuracy", "Correction and failure rates", "Volume", "Latency", "Tokens per execution"}
    with transaction(engine) as s:
        series = daily_series(s, _scope(data, date(2026, 2, 10), date(2026, 3, 11)))
    days = [p.day.isoformat() for p in series]
    assert len(days) == DAYS

    accuracy = charts["Accuracy"]
    (line,) = _trace(accuracy, "Accuracy")
    assert line["x"] == days
    assert line["y"] == pytest.approx([p.summary.accuracy.value for p in series])
    upper, lower = _trace(accuracy, "Accuracy 95 % interval")
    assert upper["y"] == pytest.approx([p.summary.accuracy.interval.upper for p in series])
    assert lower["y"] == pytest.approx([p.summary.accuracy.interval.lower for p in series])
    assert lower["fill"] == "tonexty"
    assert all(lo < y < hi for lo, y, hi in zip(lower["y"], line["y"], upper["y"], strict=True))
    (failures,) = _trace(charts["Correction and failure rates"], "Failure rate")
    assert failures["y"] == pytest.approx([p.summary.failure_rate.value for p in series])
    assert len(_trace(charts["Correction and failure rates"], "Failure rate 95 % interval")) == 2
    (volume,) = _trace(charts["Volume"], "Executions")
    assert volume["y"] == [p.stats.executions for p in series]

    # the two moves inside the period (not the one 60 days earlier), on every chart
    for spec in charts.values():
        notes = {a["text"]: a["hovertext"] for a in spec["layout"]["annotations"]}
        assert set(notes) == {"staging → 1.1.0", "production → 1.1.0"}
        assert "alice@x.io" in notes["production → 1.1.0"]
        assert "fewer misheard names" in notes["production → 1.1.0"]
        assert "1.0.0 → 1.1.0" in notes["production → 1.1.0"]
        assert sorted(s["x0"] for s in spec["layout"]["shapes"]) == ["2026-03-06T00:00:00", "2026-03-08T10:30:00"]


def test_filters_change_the_figures(engine: Engine, data: Data, console_app: Callable[..., AppTest]) -> None:
    at = console_app()
    key = f"overview.{data.prompt_id}"
    assert at.selectbox(key=f"{key}.segment.expertise").options == ["All", "expert", "novice"]
    at.selectbox(key=f"{key}.segment.expertise").set_value(json.dumps("novice")).run()
    assert not at.exception
    scope = _scope(data, date(2026, 2, 10), date(2026, 3, 11), segment={"expertise": "novice"})
    with transaction(engine) as s:
        novice = prompt_summary(s, scope)
    assert 0 < novice.executions < 600
    assert {label: m.value for label, m in _metrics(at).items()} == _expected(novice)

    at.multiselect(key=f"{key}.versions").set_value([data.version_ids["1.1.0"]]).run()
    at.selectbox(key=f"{key}.label").set_value("staging").run()
    assert not at.exception
    with transaction(engine) as s:
        narrow = total(s, replace(scope, version_ids=(data.version_ids["1.1.0"],), label="staging"))
    assert 0 < narrow.executions < novice.executions
    assert _metrics(at)["Executions"].value == f"{narrow.executions:,}"
    # only the staging label's moves are drawn when the staging label is selected
    annotations = _charts(at)["Accuracy"]["layout"]["annotations"]
    assert [a["text"] for a in annotations] == ["staging → 1.1.0"]

    at.multiselect(key=f"{key}.versions").set_value([data.version_ids["1.0.0"]]).run()  # never on staging
    assert not at.exception
    assert any("match these filters" in info.value for info in at.info)
    assert not at.metric


def test_period_without_data_says_so(data: Data, console_app: Callable[..., AppTest]) -> None:
    at = console_app()
    at.date_input(key="overview.period").set_value((date(2026, 1, 1), date(2026, 1, 31))).run()
    assert not at.exception
    assert any("No executions of" in info.value and "02 Mar 2026 – 11 Mar 2026" in info.value for info in at.info)
    assert not at.metric
    assert not at.get("plotly_chart")


def test_days_follow_the_configured_time_zone(
    engine: Engine, data: Data, console_app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMPTLOOP_TIMEZONE", "Pacific/Auckland")  # +13 h in March: days shift
    at = console_app()
    assert not at.exception
    _, last = at.date_input(key="overview.period").value
    assert last == date(2026, 3, 12)
    with transaction(engine) as s:
        start = datetime(2026, 2, 10, 11, tzinfo=UTC)  # 11 Feb 00:00 in Auckland
        series = daily_series(
            s, Scope(data.prompt_id, start, datetime(2026, 3, 12, 11, tzinfo=UTC)), tz="Pacific/Auckland"
        )
    (line,) = _trace(_charts(at)["Accuracy"], "Accuracy")
    assert line["x"] == [p.day.isoformat() for p in series]
    assert line["x"][-1] == "2026-03-12"
    shapes = sorted(s["x0"] for s in _charts(at)["Accuracy"]["layout"]["shapes"])
    assert shapes == ["2026-03-06T13:00:00", "2026-03-08T23:30:00"]


def test_renders_every_demo_prompt(engine: Engine, console_app: Callable[..., AppTest]) -> None:
    """The seeded demo (five prompts, two segment dimensions, staging and production moves) renders."""
    seed_demo(engine, days=30, scale=0.05, seed=7, end=date(2026, 3, 1))
    at = console_app()
    prompts = at.selectbox(key="overview.prompt").options
    assert len(prompts) == 5
    for name in prompts:
        at.selectbox(key="overview.prompt").set_value(name).run()
        assert not at.exception, name
        assert int(_metrics(at)["Executions"].value.replace(",", "")) > 0
        assert len(at.get("plotly_chart")) == 5
        if name == "dimension_extraction":  # the planted regression's move is on its charts
            notes = [a["hovertext"] for a in _charts(at)["Accuracy"]["layout"]["annotations"]]
            assert any("<b>production</b> moved: 2.0.0 → 2.1.0" in note for note in notes)


def test_users_by_expertise_follow_the_prompt_thresholds(
    engine: Engine, data: Data, console_app: Callable[..., AppTest]
) -> None:
    from core.analytics.users import ExpertiseThresholds, expertise_profiles
    from core.registry.settings import update_prompt_settings

    strict = {"expert_min_executions": 10, "expert_min_accuracy": 0.8, "intermediate_min_executions": 5,
              "intermediate_min_accuracy": 0.5}  # fmt: skip
    with transaction(engine) as s:
        update_prompt_settings(s, prompt_name=PROMPT, changes={"expertise": strict}, actor="t@x.io")
        expected = expertise_profiles(
            s, prompt_id=data.prompt_id, start=START.date(), end=(START + timedelta(days=DAYS)).date(),
            thresholds=ExpertiseThresholds(**strict),
        )  # fmt: skip
    at = console_app()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    for level in ("novice", "intermediate", "expert"):
        assert shown[level.capitalize()] == str(sum(1 for p in expected if p.level == level))
    users = at.dataframe[-1].value
    assert list(users["user"]) == [p.unit_id for p in expected]
    assert list(users["executions"]) == [p.executions for p in expected]
    assert any("Expert: ≥ 10 executions and mean accuracy ≥ 0.80" in c.value for c in at.caption)
