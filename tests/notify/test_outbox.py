"""Notifications through the outbox: signed webhooks, email, filters, retries, failing channels isolated."""

from __future__ import annotations

import hmac
import json
import threading
import time

import pytest
from sqlalchemy import Engine, select

from core.config import Settings
from core.db.engine import transaction
from core.db.models.governance import NotificationDelivery
from core.errors import NotFoundError, PermissionDeniedError, ValidationError
from core.governance.changes import propose_rollback
from core.governance.roles import Principal
from core.governance.rules import GovernanceRules
from core.notify.channels import add_channel, list_channels, remove_channel, update_channel
from core.notify.deliver import deliver_pending
from core.notify.events import Event, notify
from core.notify.webhook import sign, verify_signature
from core.registry.labels import move_label
from core.registry.prompts import create_prompt
from core.registry.versions import add_version
from tests.notify.conftest import Mailbox, Receiver
from tests.registry.factories import content

SECRET = "s3cret-s3cret-s3cret"
EVENT = Event(type="insight.critical", title="Accuracy dropped on thought_to_intent", data={"insight_id": 7})


def _webhook(engine: Engine, admin: Principal, name: str, url: str, **kw: object) -> None:
    with transaction(engine) as s:
        add_channel(s, actor=admin, name=name, kind="webhook", url=url, secret=SECRET, **kw)  # type: ignore[arg-type]


def _statuses(engine: Engine) -> dict[int, tuple[str, int]]:
    with transaction(engine) as s:
        rows = s.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id))
        return {r.channel_id: (r.status, r.attempts) for r in rows}


def test_signed_webhook_delivered_after_commit_only(
    engine: Engine, admin: Principal, receiver: Receiver, notify_settings: Settings
) -> None:
    _webhook(engine, admin, "ops", f"{receiver.url}/ok")

    def failing_flow() -> None:
        with transaction(engine) as s:
            notify(s, EVENT)
            raise RuntimeError("flow failed")

    with pytest.raises(RuntimeError):  # the caller's transaction rolls back, and the event with it
        failing_flow()
    assert deliver_pending(engine, settings=notify_settings).outcomes == ()
    with transaction(engine) as s:
        assert notify(s, EVENT) == 1
    assert receiver.requests == []  # nothing is sent inside the transaction
    report = deliver_pending(engine, settings=notify_settings)
    assert (report.delivered, report.failed, report.retrying) == (1, 0, 0)
    [request] = receiver.at("/ok")
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["x-promptloop-event"] == "insight.critical"
    expected = hmac.new(SECRET.encode(), headers["x-promptloop-timestamp"].encode() + b"." + request.body, "sha256")
    assert headers["x-promptloop-signature"] == f"sha256={expected.hexdigest()}"  # computed independently
    assert headers["x-promptloop-signature"] == sign(SECRET, int(headers["x-promptloop-timestamp"]), request.body)
    assert abs(int(headers["x-promptloop-timestamp"]) - time.time()) < 60
    assert verify_signature(
        SECRET,
        timestamp=headers["x-promptloop-timestamp"],
        body=request.body,
        signature=headers["x-promptloop-signature"],
        now=time.time(),
    )
    assert not verify_signature(
        "another-secret-value",
        timestamp=headers["x-promptloop-timestamp"],
        body=request.body,
        signature=headers["x-promptloop-signature"],
        now=time.time(),
    )
    assert not verify_signature(  # a tampered body or a replay much later fails
        SECRET,
        timestamp=headers["x-promptloop-timestamp"],
        body=request.body.replace(b"7", b"8"),
        signature=headers["x-promptloop-signature"],
        now=time.time(),
    )
    assert not verify_signature(
        SECRET,
        timestamp=headers["x-promptloop-timestamp"],
        body=request.body,
        signature=headers["x-promptloop-signature"],
        now=time.time() + 3600,
    )
    document = json.loads(request.body)
    assert (document["type"], document["title"], document["data"]) == (
        "insight.critical",
        EVENT.title,
        {"insight_id": 7},
    )
    assert deliver_pending(engine, settings=notify_settings).outcomes == ()  # sent once


def test_email_delivered_with_login(
    engine: Engine, admin: Principal, mailbox: Mailbox, notify_settings: Settings
) -> None:
    with transaction(engine) as s:
        add_channel(s, actor=admin, name="oncall", kind="email", to=["Oncall@Example.com", "lead@example.com"])
        notify(s, EVENT)
    settings = Settings(
        **notify_settings.model_dump(exclude={"smtp_username", "smtp_password"}),
        smtp_username="promptloop",
        smtp_password="smtp-secret",
    )
    report = deliver_pending(engine, settings=settings)
    assert report.delivered == 1
    [message] = mailbox.messages
    assert message.rcpt_tos == ["oncall@example.com", "lead@example.com"]
    text = message.content.decode() if isinstance(message.content, bytes) else str(message.content)
    assert "Subject: [promptloop] Accuracy dropped on thought_to_intent" in text
    assert "insight_id: 7" in text
    assert mailbox.logins == [("promptloop", "smtp-secret")]


def test_a_failing_channel_is_retried_marked_and_never_blocks_the_others(
    engine: Engine, admin: Principal, receiver: Receiver, mailbox: Mailbox, notify_settings: Settings
) -> None:
    _webhook(engine, admin, "good", f"{receiver.url}/ok")
    _webhook(engine, admin, "broken", f"{receiver.url}/fail")
    _webhook(engine, admin, "gone", f"{receiver.url}/gone")
    _webhook(engine, admin, "flaky", f"{receiver.url}/flaky")
    _webhook(engine, admin, "nowhere", "http://127.0.0.1:9/unreachable")
    with transaction(engine) as s:
        add_channel(s, actor=admin, name="mail", kind="email", to=["ops@example.com"])
        assert notify(s, EVENT) == 6
    first = deliver_pending(engine, settings=notify_settings)  # must not raise
    by_channel = {o.channel: (o.status, o.attempts) for o in first.outcomes}
    assert by_channel == {
        "good": ("delivered", 1),
        "mail": ("delivered", 1),
        "flaky": ("delivered", 2),  # retried with backoff within the run
        "gone": ("failed", 1),  # 404 is permanent: no retry
        "broken": ("pending", 2),  # will be retried on the next run
        "nowhere": ("pending", 2),
    }
    assert len(receiver.at("/ok")) == 1
    assert len(mailbox.messages) == 1
    second = deliver_pending(engine, settings=notify_settings)
    assert {o.channel: (o.status, o.attempts) for o in second.outcomes} == {
        "broken": ("failed", 4),
        "nowhere": ("failed", 4),
    }
    assert len(receiver.at("/fail")) == 4
    assert "HTTP 500" in next(o.error for o in second.outcomes if o.channel == "broken")  # type: ignore[operator]
    assert deliver_pending(engine, settings=notify_settings).outcomes == ()
    assert len(receiver.at("/ok")) == 1  # the good channel never got a duplicate


def test_event_filters_and_channel_management(
    engine: Engine, admin: Principal, receiver: Receiver, notify_settings: Settings
) -> None:
    _webhook(engine, admin, "applied-only", f"{receiver.url}/ok", events=["change_request.applied"])
    with transaction(engine) as s:
        assert notify(s, EVENT) == 0
        assert notify(s, Event(type="change_request.applied", title="applied #1")) == 1
    with pytest.raises(ValidationError, match="unknown event type"), transaction(engine) as s:
        notify(s, Event(type="something.else", title="x"))
    with pytest.raises(ValidationError, match="unknown event type"), transaction(engine) as s:
        update_channel(s, actor=admin, name="applied-only", events=["nope"])
    with pytest.raises(ValidationError, match="http"), transaction(engine) as s:
        add_channel(s, actor=admin, name="bad", kind="webhook", url="ftp://x")
    with transaction(engine) as s:
        update_channel(s, actor=admin, name="applied-only", active=False)
        assert notify(s, Event(type="change_request.applied", title="applied #2")) == 0
        [view] = list_channels(s)
        assert (view.name, view.active, view.events) == ("applied-only", False, ("change_request.applied",))
        assert not hasattr(view, "secret")
    operator = Principal(email="op@x.io", role="operator")
    with pytest.raises(PermissionDeniedError), transaction(engine) as s:
        remove_channel(s, actor=operator, name="applied-only")
    with transaction(engine) as s:
        remove_channel(s, actor=admin, name="applied-only")
        assert list_channels(s) == []
    with pytest.raises(NotFoundError), transaction(engine) as s:
        notify(s, Event(type="test", title="t"), channel_names=["applied-only"])
    assert deliver_pending(engine, settings=notify_settings).outcomes == ()  # its deliveries went with it


def test_concurrent_delivery_runs_send_each_delivery_once(
    engine: Engine, admin: Principal, receiver: Receiver, notify_settings: Settings
) -> None:
    _webhook(engine, admin, "ops", f"{receiver.url}/ok")
    with transaction(engine) as s:
        for i in range(20):
            notify(s, Event(type="insight.critical", title=f"insight {i}"))
    threads = [
        threading.Thread(target=deliver_pending, args=(engine,), kwargs={"settings": notify_settings}) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    titles = sorted(json.loads(r.body)["title"] for r in receiver.at("/ok"))
    assert titles == sorted(f"insight {i}" for i in range(20))


def test_governance_events_reach_the_channels(
    engine: Engine, admin: Principal, receiver: Receiver, notify_settings: Settings
) -> None:
    _webhook(engine, admin, "ops", f"{receiver.url}/ok")
    with transaction(engine) as s:
        create_prompt(s, name="p", actor="a@x.io")
        add_version(s, prompt_name="p", content=content(), actor="a@x.io")
        add_version(s, prompt_name="p", content=content(token_budget=10), actor="a@x.io")
        move_label(s, prompt_name="p", label="production", version="1.0.0", actor="a@x.io", reason="go")
        move_label(s, prompt_name="p", label="production", version="1.1.0", actor="a@x.io", reason="go")
        propose_rollback(
            s, actor=admin, rules=GovernanceRules(), prompt_name="p", label="production", reason="bad", apply_now=True
        )
    assert deliver_pending(engine, settings=notify_settings).delivered == 4
    types = [json.loads(r.body)["type"] for r in receiver.at("/ok")]
    assert sorted(types) == sorted(
        ["change_request.opened", "change_request.approved", "change_request.applied", "rollback.applied"]
    )
    applied = next(json.loads(r.body) for r in receiver.at("/ok") if json.loads(r.body)["type"] == "rollback.applied")
    assert applied["data"]["change_request"]["target_version"] == "1.0.0"
    assert applied["data"]["change_request"]["status"] == "applied"
