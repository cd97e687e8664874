"""Insights: filters, evidence (figures and charts), and triage by operators — not by viewers.

The insights are what the real rule table finds on hand-made snapshots (``tests.insights.factories``),
stored by the real upsert: a regression after a label move and an anomalous day on ``checkout``, low
accuracy on ``search``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from core.analytics.summary import summarize
from core.db.engine import transaction
from core.errors import PermissionDeniedError
from core.governance.audit import list_events
from core.governance.review import review_insight
from core.governance.users import principal_for
from core.insights.lifecycle import InsightView, get_insight, list_insights
from core.insights.rules import run_rules
from core.insights.store import upsert_findings
from core.registry.prompts import create_prompt
from tests.console.signin import email_for
from tests.insights.factories import NOW, cells, days, regression, snapshot

PAGE = "views/insights.py"
ANOMALY, REGRESSION, LOW = "anomaly:accuracy", "regression:production:1.0.0->1.1.0", "low_accuracy"
ANOMALOUS_DAY = "2026-02-27"  # the third-last complete day before NOW


@pytest.fixture
def insights(engine: Engine) -> dict[str, int]:
    """Insight id by key."""
    rng = np.random.default_rng(3)
    accuracy = [float(v) for v in np.round(0.9 + rng.normal(0, 0.01, 27), 4)]
    accuracy[-3] = 0.6
    with transaction(engine) as s:
        for name, snap in (
            (
                "checkout",
                snapshot(
                    prompt="checkout",
                    daily=days(accuracy),
                    regressions=(regression(cells(3000, 0.90, seed=1), cells(1500, 0.84, seed=2)),),
                ),
            ),
            ("search", snapshot(prompt="search", summary=summarize(cells(500, 0.70)))),
        ):
            prompt = create_prompt(s, name=name, actor="t@x.io")
            s.flush()
            upsert_findings(s, prompt_id=prompt.id, prompt=name, run=run_rules(snap), now=NOW)
        ids = {i.key: i.id for i in list_insights(s)}
    assert set(ids) == {ANOMALY, REGRESSION, LOW}
    return ids


def insight(engine: Engine, insight_id: int) -> InsightView:
    with transaction(engine) as s:
        return get_insight(s, insight_id=insight_id)


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [e.value for kind in (at.success, at.info, at.warning, at.error) for e in kind]
    return "\n".join(str(p) for p in parts)


def listed(at: AppTest) -> list[int]:
    return [int(i) for i in at.dataframe[0].value["#"]]


def charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_empty_state_says_how_insights_come(console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE)
    assert not at.exception
    assert "No insights yet" in texts(at)
    assert "promptloop flows run insight_discovery" in texts(at)


def test_filters_by_prompt_priority_category_and_status(
    insights: dict[str, int], console_app: Callable[..., AppTest]
) -> None:
    at = console_app(PAGE)
    assert not at.exception
    assert listed(at) == [insights[REGRESSION], insights[LOW], insights[ANOMALY]]  # critical first, then newest
    assert at.multiselect(key="insights_status").value == ["open", "acknowledged"]

    at.selectbox(key="insights_prompt").set_value("search").run()
    assert listed(at) == [insights[LOW]]
    at.selectbox(key="insights_prompt").set_value("All prompts").run()
    at.multiselect(key="insights_priority").set_value(["critical"]).run()
    assert listed(at) == [insights[REGRESSION]]
    at.multiselect(key="insights_priority").set_value([]).run()
    at.multiselect(key="insights_category").set_value(["anomaly", "accuracy"]).run()
    assert listed(at) == [insights[LOW], insights[ANOMALY]]
    at.multiselect(key="insights_status").set_value(["resolved", "dismissed"]).run()
    assert "No insight matches these filters" in texts(at)
    assert not at.dataframe


def test_evidence_shows_figures_with_intervals_and_charts(
    insights: dict[str, int], console_app: Callable[..., AppTest]
) -> None:
    at = console_app(PAGE)
    # the regression: the before/after comparison with its always-valid interval, the move on the chart
    shown = texts(at)
    assert "1.1.0 on production regressed against 1.0.0" in shown
    assert "Roll production back to 1.0.0" in shown  # an action item
    figures = next(d.value for d in at.dataframe if "interval" in d.value.columns)
    change = figures[figures["figure"] == "accuracy (change)"].iloc[0]
    assert change["estimate"].startswith("-") and change["level"] == "95%" and change["n"] == "1,500 vs 3,000"
    assert "significant" in change["test"]
    [chart] = charts(at)
    names = [trace.get("name") for trace in chart["data"]]
    assert names == ["accuracy", "1.0.0 mean (before the move)", "1.1.0 mean (after the move)"]
    assert chart["layout"]["shapes"][0]["x0"] == "2026-02-25T00:00:00"  # the label move
    assert chart["layout"]["annotations"][0]["text"] == "production: 1.0.0 → 1.1.0"

    # the anomaly: the daily series with the anomalous day marked, and the flagged-days table
    at.selectbox(key="insights_selected").set_value(insights[ANOMALY]).run()
    [chart] = charts(at)
    flagged = next(trace for trace in chart["data"] if trace.get("name") == "anomalous day")
    assert flagged["x"] == [ANOMALOUS_DAY]
    assert flagged["y"] == [0.6]
    assert len(chart["data"][0]["x"]) == 27
    days_table = next(d.value for d in at.dataframe if "robust z" in d.value.columns)
    assert list(days_table["day"]) == [ANOMALOUS_DAY]

    # low accuracy: the estimate with its interval against the threshold (no series: no chart)
    at.selectbox(key="insights_selected").set_value(insights[LOW]).run()
    figures = next(d.value for d in at.dataframe if "interval" in d.value.columns)
    accuracy = figures[figures["figure"] == "accuracy"].iloc[0]
    assert accuracy["interval"].startswith("[0.6") and accuracy["n"] == "500"
    assert "0.8" in list(figures[figures["figure"] == "threshold"]["estimate"])
    assert not charts(at)


def test_operator_acknowledges_then_dismisses_with_a_required_note(
    engine: Engine, insights: dict[str, int], console_app: Callable[..., AppTest]
) -> None:
    operator = email_for("operator")
    at = console_app(PAGE, user="operator")
    at.selectbox(key="insights_selected").set_value(insights[ANOMALY]).run()
    at.button(key="insight_acknowledge").click().run()
    assert not at.exception
    assert any(f"Acknowledged insight #{insights[ANOMALY]}" in s.value for s in at.success)
    done = insight(engine, insights[ANOMALY])
    assert (done.status, done.status_by) == ("acknowledged", operator)
    assert at.button(key="insight_acknowledge").disabled  # already acknowledged
    assert "Acknowledged by operator@console.test" in texts(at)

    at.button(key="insight_dismiss").click().run()
    assert any("a note is required to dismiss" in e.value for e in at.error)
    assert insight(engine, insights[ANOMALY]).status == "acknowledged"

    at.text_area(key=f"insight_note_{insights[ANOMALY]}").input("known outage on the 27th")
    at.button(key="insight_dismiss").click().run()
    assert any("Dismissed insight" in s.value and "filter by status dismissed" in s.value for s in at.success)
    done = insight(engine, insights[ANOMALY])
    assert (done.status, done.status_by, done.status_note) == ("dismissed", operator, "known outage on the 27th")
    assert insights[ANOMALY] not in listed(at)  # closed: hidden by the default filter
    with transaction(engine) as s:
        events = list_events(s, entity_type="insight", entity_id=str(insights[ANOMALY]))
    assert [(e.actor, e.action) for e in events[:2]] == [
        (operator, "insight.dismissed"),
        (operator, "insight.acknowledged"),
    ]
    assert events[0].after == {"status": "dismissed", "note": "known outage on the 27th"}

    # the status history shows who, when and the note
    at.multiselect(key="insights_status").set_value(["dismissed"]).run()
    history = next(d.value for d in at.dataframe if "who" in d.value.columns)
    assert list(history["what"]) == ["dismissed", "acknowledged", "opened"]
    assert history.loc[0, "note"] == "known outage on the 27th"
    assert "nothing to triage" in texts(at)


def test_viewer_sees_no_triage_buttons_and_core_refuses(
    engine: Engine, insights: dict[str, int], console_app: Callable[..., AppTest]
) -> None:
    at = console_app(PAGE, user="viewer")
    assert not at.exception
    assert not {b.label for b in at.button} & {"Acknowledge", "Resolve", "Dismiss"}
    assert "needs the operator role" in texts(at)
    with transaction(engine) as s:
        viewer = principal_for(s, email=email_for("viewer"))
        with pytest.raises(PermissionDeniedError, match="is a viewer"):
            review_insight(s, actor=viewer, insight_id=insights[REGRESSION], action="acknowledge")
    assert insight(engine, insights[REGRESSION]).status == "open"


def test_user_text_in_an_insight_is_shown_literally(engine: Engine, console_app: Callable[..., AppTest]) -> None:
    from core.insights.findings import Finding
    from core.insights.rules import RuleRun

    injected = "Corrections like “![x](https://tracker.example/p.png)” → “*now*” grew"
    title = "Growing correction pattern: [link](https://tracker.example)"
    finding = Finding("growing_correction_pattern", "corrections:x", "corrections", "medium", title, injected, ())
    with transaction(engine) as s:
        prompt = create_prompt(s, name="notes", actor="t@x.io")
        s.flush()
        run = RuleRun((finding,), frozenset({"growing_correction_pattern"}))
        upsert_findings(s, prompt_id=prompt.id, prompt="notes", run=run, now=NOW)
    shown = texts(console_app(PAGE))
    assert r"\!\[x\](https://tracker.example/p.png)" in shown  # an escaped image is not fetched
    assert "![x](" not in shown
    assert r"\[link\](https://tracker.example)" in shown
    assert r"\*now\*" in shown
