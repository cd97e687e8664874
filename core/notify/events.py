"""Notification events and the outbox seam :func:`notify` (called inside the caller's transaction)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models.governance import NotificationChannel, NotificationDelivery, NotificationEvent
from core.errors import NotFoundError, ValidationError

EVENT_TYPES: Final[tuple[str, ...]] = (
    "insight.critical",
    "change_request.opened",
    "change_request.approved",
    "change_request.rejected",
    "change_request.applied",
    "change_request.failed",
    "change_request.stale",
    "rollback.applied",
    "test",  # `promptloop notify channels test`: sent to the named channels only
)


@dataclass(frozen=True)
class Event:
    """What happened: a type from :data:`EVENT_TYPES`, a one-line title and JSON-ready data."""

    type: str
    title: str
    data: dict[str, Any] = field(default_factory=dict)


def check_event_types(types: Sequence[str]) -> list[str]:
    unknown = sorted(set(types) - set(EVENT_TYPES))
    if unknown:
        raise ValidationError(f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}")
    return sorted(set(types))


def notify(session: Session, event: Event, *, channel_names: Sequence[str] | None = None) -> int:
    """Queue ``event`` for every active channel that wants it; returns the number of deliveries queued.

    Channels with an empty event filter get every event except ``test``. ``channel_names`` limits
    the fan-out to those channels (their filters are then ignored).
    """
    check_event_types([event.type])
    if not event.title.strip():
        raise ValidationError("a notification needs a title")
    query = select(NotificationChannel).where(NotificationChannel.active).order_by(NotificationChannel.id)
    if channel_names is not None:
        query = query.where(NotificationChannel.name.in_(channel_names))
    channels = list(session.scalars(query))
    if channel_names is not None:
        missing = sorted(set(channel_names) - {c.name for c in channels})
        if missing:
            raise NotFoundError(f"no active notification channel named {', '.join(missing)}")
    else:
        channels = [c for c in channels if _wants(c, event.type)]
    row = NotificationEvent(type=event.type, title=event.title.strip(), payload=_json_ready(event.data))
    session.add(row)
    session.flush()
    for channel in channels:
        session.add(NotificationDelivery(event_id=row.id, channel_id=channel.id))
    session.flush()
    return len(channels)


def _json_ready(data: dict[str, Any]) -> dict[str, Any]:
    """Dates become ISO strings, other unknown values their ``str``; the result is plain JSON."""

    def default(value: object) -> str:
        return value.isoformat() if isinstance(value, date | datetime) else str(value)

    result: dict[str, Any] = json.loads(json.dumps(data, default=default))
    return result


def _wants(channel: NotificationChannel, event_type: str) -> bool:
    if event_type == "test":
        return False
    return not channel.events or event_type in channel.events
