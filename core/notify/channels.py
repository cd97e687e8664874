"""Notification channels, managed by admins (the console's Admin page and `promptloop notify channels`).

* ``webhook``: ``{"url": "https://..."}`` and a per-channel secret that signs every body (HMAC-SHA256,
  see :mod:`core.notify.webhook`). The secret is generated when not given and returned once.
* ``email``: ``{"to": ["ops@example.com", ...]}``; the SMTP server comes from the settings
  (``PROMPTLOOP_SMTP_*``), so no mail password is stored in the database.

Each channel has an event filter (empty: every event) and an active flag.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models.governance import CHANNEL_KINDS, NotificationChannel
from core.errors import ConflictError, NotFoundError, ValidationError
from core.governance.audit import record_event
from core.governance.roles import Action, Principal, require
from core.governance.users import normalize_email
from core.notify.events import check_event_types

_NAME = re.compile(r"^[a-z][a-z0-9_.\-]{0,63}$")
MIN_SECRET_LENGTH = 16


@dataclass(frozen=True)
class ChannelView:
    name: str
    kind: str
    config: dict[str, Any]
    events: tuple[str, ...]  # empty: every event
    active: bool
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: NotificationChannel) -> ChannelView:
        return cls(
            name=row.name,
            kind=row.kind,
            config=dict(row.config),
            events=tuple(row.events),
            active=row.active,
            created_by=row.created_by,
            created_at=row.created_at,
        )


@dataclass(frozen=True)
class AddedChannel:
    channel: ChannelView
    secret: str | None  # the webhook signing secret: shown once, give it to the receiver


def _config(kind: str, *, url: str | None, to: Sequence[str] | None) -> dict[str, Any]:
    if kind == "webhook":
        parsed = urlparse(url or "")
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValidationError("a webhook channel needs an http(s) URL (--url https://...)")
        return {"url": url}
    if kind == "email":
        recipients = [normalize_email(address) for address in (to or [])]
        if not recipients:
            raise ValidationError("an email channel needs at least one recipient (--to ops@example.com)")
        return {"to": recipients}
    raise ValidationError(f"channel kind must be one of {', '.join(CHANNEL_KINDS)}, not '{kind}'")


def _get(session: Session, name: str) -> NotificationChannel:
    row = session.scalar(select(NotificationChannel).where(NotificationChannel.name == name).with_for_update())
    if row is None:
        raise NotFoundError(f"unknown notification channel '{name}' (see `promptloop notify channels list`)")
    return row


def add_channel(
    session: Session,
    *,
    actor: Principal,
    name: str,
    kind: str,
    url: str | None = None,
    to: Sequence[str] | None = None,
    secret: str | None = None,
    events: Sequence[str] = (),
) -> AddedChannel:
    require(actor, Action.MANAGE_CHANNELS)
    if not _NAME.match(name):
        raise ValidationError(f"invalid channel name '{name}': lowercase letters, digits, '_', '-', '.'")
    config = _config(kind, url=url, to=to)
    if kind == "webhook":
        secret = secret or secrets.token_urlsafe(32)
        if len(secret) < MIN_SECRET_LENGTH:
            raise ValidationError(f"a webhook secret needs at least {MIN_SECRET_LENGTH} characters")
    else:
        secret = None
    if session.scalar(select(NotificationChannel.id).where(NotificationChannel.name == name)) is not None:
        raise ConflictError(f"notification channel '{name}' already exists")
    row = NotificationChannel(
        name=name, kind=kind, config=config, secret=secret, events=check_event_types(events), created_by=actor.actor
    )
    session.add(row)
    session.flush()
    record_event(
        session,
        actor=actor.actor,
        action="notify.channel_added",
        entity_type="notification_channel",
        entity_id=name,
        after={"kind": kind, "config": config, "events": row.events},
    )
    return AddedChannel(channel=ChannelView.of(row), secret=secret)


def update_channel(
    session: Session,
    *,
    actor: Principal,
    name: str,
    url: str | None = None,
    to: Sequence[str] | None = None,
    events: Sequence[str] | None = None,
    active: bool | None = None,
) -> ChannelView:
    """Change a channel's target, event filter or active flag (None: leave as is)."""
    require(actor, Action.MANAGE_CHANNELS)
    row = _get(session, name)
    before = ChannelView.of(row)
    if url is not None or to is not None:
        row.config = _config(row.kind, url=url, to=to)
    if events is not None:
        row.events = check_event_types(events)
    if active is not None:
        row.active = active
    row.updated_at = datetime.now(UTC)
    record_event(
        session,
        actor=actor.actor,
        action="notify.channel_changed",
        entity_type="notification_channel",
        entity_id=name,
        before={"config": before.config, "events": list(before.events), "active": before.active},
        after={"config": row.config, "events": list(row.events), "active": row.active},
    )
    return ChannelView.of(row)


def remove_channel(session: Session, *, actor: Principal, name: str) -> None:
    """Delete a channel and its pending deliveries (the audit log keeps the record)."""
    require(actor, Action.MANAGE_CHANNELS)
    row = _get(session, name)
    record_event(
        session,
        actor=actor.actor,
        action="notify.channel_removed",
        entity_type="notification_channel",
        entity_id=name,
        before={"kind": row.kind, "config": row.config, "events": list(row.events)},
    )
    session.delete(row)
    session.flush()


def list_channels(session: Session) -> Sequence[ChannelView]:
    return [
        ChannelView.of(row) for row in session.scalars(select(NotificationChannel).order_by(NotificationChannel.name))
    ]
