"""Audit log: filters by actor, action, entity and time; the CSV export holds what the table shows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from core.db.engine import transaction
from core.governance.audit import record_event

PAGE = "views/audit.py"


@pytest.fixture
def events(engine: Engine) -> None:
    with transaction(engine) as s:
        record_event(s, actor="alice@x.io", action="label.moved", entity_type="label", entity_id="p:production")
        record_event(s, actor="bob@x.io", action="change_request.approved", entity_type="change_request", entity_id=7)
        record_event(
            s,
            actor="bob@x.io",
            action="change_request.commented",
            entity_type="change_request",
            entity_id=7,
            after={"text": '=HYPERLINK("http://evil")'},
        )


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


def table(at: AppTest) -> Any:
    return at.dataframe[0].value


def test_filters_by_actor_action_and_entity(events: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user="viewer")
    assert not at.exception
    everything = table(at)
    assert {"alice@x.io", "bob@x.io"} <= set(everything["actor"])  # plus the test accounts' user.added events

    at.selectbox(key="audit_actor").set_value("bob@x.io")
    at.button(key="audit_apply").click().run()
    assert list(table(at)["action"]) == ["change_request.commented", "change_request.approved"]

    at.selectbox(key="audit_action").set_value("change_request.approved")
    at.button(key="audit_apply").click().run()
    assert list(table(at)["entity_id"]) == ["7"]

    at.selectbox(key="audit_actor").set_value("(any)")
    at.selectbox(key="audit_action").set_value("(any)")
    at.selectbox(key="audit_entity_type").set_value("label")
    at.text_input(key="audit_entity_id").input("p:production")
    at.button(key="audit_apply").click().run()
    assert list(table(at)["actor"]) == ["alice@x.io"]


def test_time_range(events: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user="viewer")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    at.date_input(key="audit_to").set_value(yesterday)
    at.button(key="audit_apply").click().run()
    assert table(at).empty
    assert at.download_button[0].disabled

    at.date_input(key="audit_from").set_value(yesterday + timedelta(days=3))
    at.date_input(key="audit_to").set_value(yesterday + timedelta(days=2))
    at.button(key="audit_apply").click().run()
    assert any("'From' is after 'To'" in e.value for e in at.error)


def test_csv_export_holds_the_filtered_rows(
    events: None, downloads: list[dict[str, Any]], console_app: Callable[..., AppTest]
) -> None:
    at = console_app(PAGE, user="viewer")
    at.selectbox(key="audit_actor").set_value("bob@x.io")
    downloads.clear()
    at.button(key="audit_apply").click().run()
    [export] = downloads
    assert export["mimetype"] == "text/csv"
    assert export["filename"].startswith("promptloop-audit-") and export["filename"].endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(export["data"].decode("utf-8"))))
    assert [r["action"] for r in rows] == ["change_request.commented", "change_request.approved"]
    assert {r["actor"] for r in rows} == {"bob@x.io"}
    assert rows[1]["entity_type"] == "change_request" and rows[1]["entity_id"] == "7"
    assert rows[0]["after"] == '{"text": "=HYPERLINK(\\"http://evil\\")"}'  # JSON text: starts with '{', harmless
    assert list(rows[0]) == ["id", "occurred_at", "actor", "action", "entity_type", "entity_id", "before", "after"]


def test_csv_defuses_formulas(
    engine: Engine, downloads: list[dict[str, Any]], console_app: Callable[..., AppTest]
) -> None:
    with transaction(engine) as s:
        record_event(s, actor="=cmd|' /C calc'!A0", action="x.y", entity_type="t", entity_id="+1")
    console_app(PAGE, user="viewer")
    rows = list(csv.DictReader(io.StringIO(downloads[-1]["data"].decode("utf-8"))))
    row = next(r for r in rows if r["action"] == "x.y")
    assert row["actor"] == "'=cmd|' /C calc'!A0"
    assert row["entity_id"] == "'+1"
