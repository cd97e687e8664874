"""Admin: only admins get in; users and roles, prompt settings, auto-apply and notification channels."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from console.widgets.settings_form import changed_fields, field_kind
from core.db.engine import transaction
from core.governance.autoapply import get_auto_apply
from core.governance.roles import Principal
from core.governance.users import get_user
from core.notify.channels import list_channels
from core.registry.prompts import get_prompt
from core.registry.settings import prompt_settings
from tests.console.governance_data import PROMPT, seed
from tests.console.signin import ADMIN, email_for

PAGE = "views/admin.py"
ADMIN_VIEW = str(Path(__file__).resolve().parents[2] / "console" / "views" / "admin.py")


@pytest.fixture
def seeded(engine: Engine) -> None:
    seed(engine)


def test_non_admins_cannot_open_admin(seeded: None, console_app: Callable[..., AppTest]) -> None:
    for role in ("viewer", "operator"):
        at = console_app(user=role)
        assert not at.exception
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(PAGE)  # the Admin page is not in a non-admin's navigation at all
    console_app(PAGE, user="admin")  # ...and is in an admin's


def test_admin_page_refuses_a_non_admin_even_if_reached(monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    monkeypatch.setenv("PROMPTLOOP_DATABASE_URL", db_url)
    at = AppTest.from_file(ADMIN_VIEW, default_timeout=30)
    at.session_state["_promptloop_principal"] = Principal(email="op@x.io", role="operator")
    at.run()
    assert any("needs the admin role" in e.value for e in at.error)
    assert not at.tabs


def test_add_user_and_change_role(engine: Engine, seeded: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user="admin")
    assert [t.value for t in at.title] == ["Admin"]
    at.text_input(key="add_user_email").input("Carol@Example.com")
    at.selectbox(key="add_user_role").set_value("operator")
    at.button(key="add_user_submit").click().run()
    assert any("Added carol@example.com as operator" in s.value for s in at.success)
    with transaction(engine) as s:
        carol = get_user(s, email="carol@example.com")
    assert (carol.role, carol.active, carol.has_password, carol.created_by) == ("operator", True, False, ADMIN)

    at.text_input(key="add_user_email").input("carol@example.com")
    at.button(key="add_user_submit").click().run()
    assert any("already exists" in e.value for e in at.error)

    at.selectbox(key="change_user_email").set_value("carol@example.com").run()
    at.selectbox(key="change_user_role").set_value("viewer")
    at.checkbox(key="change_user_active").uncheck()
    at.button(key="change_user_submit").click().run()
    assert any("carol@example.com: role viewer, deactivated" in s.value for s in at.success)
    with transaction(engine) as s:
        carol = get_user(s, email="carol@example.com")
    assert (carol.role, carol.active) == ("viewer", False)


def test_change_is_all_or_nothing(engine: Engine, seeded: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user="admin")
    at.selectbox(key="change_user_email").set_value(email_for("viewer")).run()
    at.selectbox(key="change_user_role").set_value("operator")
    at.text_input(key="change_user_password").input("short")  # refused: too short
    at.button(key="change_user_submit").click().run()
    assert any("at least 8 characters" in e.value for e in at.error)
    with transaction(engine) as s:
        assert get_user(s, email=email_for("viewer")).role == "viewer"  # the role change rolled back too


def test_last_admin_cannot_demote_themselves(engine: Engine, seeded: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user="admin")
    at.selectbox(key="change_user_email").set_value(ADMIN).run()
    at.selectbox(key="change_user_role").set_value("operator")
    at.button(key="change_user_submit").click().run()
    assert any("last active admin" in e.value for e in at.error)


def test_prompt_settings_are_validated_and_saved(
    engine: Engine, seeded: None, console_app: Callable[..., AppTest]
) -> None:
    at = console_app(PAGE, user="admin")
    field = at.text_input(key=f"settings_{PROMPT}.segment_dimensions")
    field.input("expertise, not valid")
    at.button(key="settings_submit").click().run()
    assert any("not a valid dimension name" in e.value for e in at.error)

    at.text_input(key=f"settings_{PROMPT}.segment_dimensions").input("expertise, language")
    at.button(key="settings_submit").click().run()
    assert any("Saved settings of thought_to_intent: segment_dimensions" in s.value for s in at.success)
    with transaction(engine) as s:
        assert prompt_settings(get_prompt(s, name=PROMPT).settings).segment_dimensions == ["expertise", "language"]


def test_auto_apply_per_prompt(engine: Engine, seeded: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user="admin")
    at.multiselect(key=f"auto_apply_classes_{PROMPT}").select("rollback")
    at.button(key="auto_apply_submit").click().run()
    assert any("needs a reason" in e.value for e in at.error)
    at.text_input(key=f"auto_apply_reason_{PROMPT}").input("rollbacks are safe here")
    at.button(key="auto_apply_submit").click().run()
    with transaction(engine) as s:
        policy = get_auto_apply(s, prompt_name=PROMPT)
    assert policy is not None
    assert (policy.risk_classes, policy.enabled_by) == (("rollback",), ADMIN)


class _Sink(BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Sink.received.append({"event": self.headers["X-Promptloop-Event"], "body": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook_sink() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Sink)
    _Sink.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        server.server_close()


def test_channels_add_test_and_remove(
    engine: Engine, seeded: None, webhook_sink: str, console_app: Callable[..., AppTest]
) -> None:
    at = console_app(PAGE, user="admin")
    at.text_input(key="add_channel_name").input("ops-hook")
    at.text_input(key="add_channel_url").input("ftp://nope")
    at.button(key="add_channel_submit").click().run()
    assert any("needs an http(s) URL" in e.value for e in at.error)
    with transaction(engine) as s:
        assert list_channels(s) == []

    at.text_input(key="add_channel_url").input(webhook_sink)
    at.multiselect(key="add_channel_events").select("change_request.opened")
    at.button(key="add_channel_submit").click().run()
    assert any("Added webhook channel ops-hook" in s.value for s in at.success)
    assert any("shown once" in i.value for i in at.info)
    with transaction(engine) as s:
        [channel] = list_channels(s)
    assert (channel.name, channel.config, channel.events) == (
        "ops-hook",
        {"url": webhook_sink},
        ("change_request.opened",),
    )

    at.button(key="test_channel").click().run()
    assert any("Delivered a test event to ops-hook" in s.value for s in at.success)
    assert [r["event"] for r in _Sink.received] == ["test"]

    at.checkbox(key="update_channel_active_ops-hook").uncheck()
    at.button(key="update_channel_submit").click().run()
    with transaction(engine) as s:
        assert not list_channels(s)[0].active

    at.checkbox(key="remove_channel_confirm_ops-hook").check().run()
    at.button(key="remove_channel").click().run()
    with transaction(engine) as s:
        assert list_channels(s) == []


def test_email_channel(engine: Engine, seeded: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user="admin")
    at.radio(key="add_channel_kind").set_value("email").run()
    at.text_input(key="add_channel_name").input("ops-mail")
    at.text_area(key="add_channel_to").input("ops@example.com,\noncall@example.com")
    at.button(key="add_channel_submit").click().run()
    with transaction(engine) as s:
        [channel] = list_channels(s)
    assert channel.config == {"to": ["ops@example.com", "oncall@example.com"]}


class _Thresholds(BaseModel):
    min_executions: int = 100
    alpha: float = 0.05
    severity: Literal["info", "critical"] = "info"


class _Settings(BaseModel):
    segment_dimensions: list[str] = Field(default_factory=list)
    insights: _Thresholds = Field(default_factory=_Thresholds)
    budget: int | None = None
    extra: dict[str, int] = Field(default_factory=dict)


def test_settings_fields_map_to_widgets() -> None:
    kinds = {name: field_kind(info.annotation) for name, info in _Settings.model_fields.items()}
    assert kinds["segment_dimensions"].widget == "str_list"
    assert (kinds["insights"].widget, kinds["insights"].model) == ("model", _Thresholds)
    assert (kinds["budget"].widget, kinds["budget"].optional) == ("int", True)
    assert kinds["extra"].widget == "json"
    assert field_kind(_Thresholds.model_fields["severity"].annotation).choices == ("info", "critical")
    entered = {"segment_dimensions": [], "insights": {"min_executions": 200, "alpha": 0.05, "severity": "info"}}
    assert changed_fields(_Settings(), entered) == {"insights": entered["insights"]}
