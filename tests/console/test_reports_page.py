"""Reports: the stored weekly reports newest first, the chosen one rendered (Markdown and the charts
drawn from its JSON's chart data), and both downloads holding exactly the stored report."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from core.config import Settings
from core.db.engine import transaction
from core.recommend.report import ReportView, get_report
from core.recommend.weekly import finalise
from tests.recommend.conftest import Registered, registered  # noqa: F401  (fixture)
from tests.recommend.factories import NOW, analysis, combination, section

PAGE = "views/reports.py"


@pytest.fixture
def reports(engine: Engine, settings: Settings, registered: Registered) -> list[int]:  # noqa: F811
    """Two weekly reports (ids, oldest first); the second has a chart of combinations too."""
    ids = []
    for week, combos in enumerate(((), (combination(("memory", "role"), 0.91), combination(("role",), 0.86)))):
        weekly = analysis(
            prompt_id=registered.prompt_id,
            version_id=registered.version_id,
            sections=(section("memory", "optional", 0.06, 1e-12), section("chatter", "optional", 0.001, 0.9)),
            combinations=combos,
        )
        with transaction(engine) as s:
            now = NOW + timedelta(days=7 * week)
            ids.append(finalise(s, analyses=[weekly], errors={}, now=now, settings=settings, actor="flow:t").report_id)
    return ids


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What the page hands to download buttons (AppTest keeps no media files after a run)."""
    seen: list[dict[str, Any]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self: MemoryMediaFileStorage, data: Any, mimetype: str, kind: Any, filename: str | None = None) -> str:
        seen.append({"data": data, "mimetype": mimetype, "filename": filename})
        return original(self, data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return seen


def stored(engine: Engine, report_id: int) -> ReportView:
    with transaction(engine) as s:
        return get_report(s, report_id=report_id)


def charts(at: AppTest) -> list[dict[str, Any]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_empty_state_says_how_reports_are_made(console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE)
    assert not at.exception
    assert any("No weekly reports yet" in i.value for i in at.info)
    assert not at.get("download_button")


def test_newest_report_first_rendered_with_its_charts(reports: list[int], console_app: Callable[..., AppTest]) -> None:
    older, newer = reports
    at = console_app(PAGE)
    assert not at.exception
    assert list(at.dataframe[0].value["#"]) == [newer, older]
    assert at.selectbox(key="reports_selected").value == newer
    report = next(m.value for m in at.markdown if m.value.startswith("# Weekly optimization report"))
    assert "| p | memory | +0.0600 |" in report and "## Recommendations" in report
    forest, combos = charts(at)
    assert forest["data"][0]["y"] == ["memory", "chatter"]
    assert forest["data"][0]["x"] == [0.06, 0.001]
    assert forest["data"][0]["error_x"]["array"] == pytest.approx([0.07, 0.011])  # upper − estimate
    assert [shape["x0"] for shape in forest["layout"]["shapes"]] == [0.0]  # the no-effect line
    assert combos["data"][0]["y"] == ["memory + role", "role"]
    assert combos["data"][0]["x"] == pytest.approx([0.91, 0.86])

    at.selectbox(key="reports_selected").set_value(older).run()
    assert len(charts(at)) == 1  # no combination was analysed that week


def test_downloads_hold_the_stored_markdown_and_json(
    engine: Engine, reports: list[int], downloads: list[dict[str, Any]], console_app: Callable[..., AppTest]
) -> None:
    newer = reports[1]
    console_app(PAGE)
    files = {d["filename"]: d for d in downloads}
    report = stored(engine, newer)
    markdown, as_json = files[f"promptloop-report-{newer}.md"], files[f"promptloop-report-{newer}.json"]
    assert markdown["mimetype"].startswith("text/markdown")
    assert markdown["data"].decode("utf-8") == report.markdown
    assert as_json["mimetype"].startswith("application/json")
    body = json.loads(as_json["data"].decode("utf-8"))
    assert body["id"] == newer and body["recommendations"] == report.summary.recommendations
    assert body["content"] == report.content
    assert body["content"]["prompts"][0]["charts"]["section_effects"]["type"] == "forest"
