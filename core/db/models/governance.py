"""Users, change requests and their comments, auto-apply policies, notification channels and the outbox.

Invariants the database enforces itself (migration 0003):

* a change request's proposal (kind, prompt, label, versions, payload, requester) never changes;
  its status only moves along the state machine of ``core.governance.states``, and a request in a
  final state never changes again (trigger ``promptloop_change_request_guard``); rows are never deleted;
* at most one open (pending or approved) request per prompt and label (partial unique index);
* comments and notification events are append-only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, pk
from core.db.base import created_at as _now

ROLES = ("viewer", "operator", "admin")
CHANGE_KINDS = ("promote_version", "rollback", "policy_change", "start_experiment", "stop_experiment")
LABEL_KINDS = ("promote_version", "rollback", "policy_change")
CHANGE_STATUSES = ("pending", "approved", "rejected", "applied", "failed", "stale", "superseded")
OPEN_STATUSES = ("pending", "approved")
AUTO_APPLY_CLASSES = ("rollback", "token_budget")
CHANNEL_KINDS = ("webhook", "email")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class User(Base):
    """A person who uses the console or the CLI. OIDC-only users have no password hash."""

    __tablename__ = "users"

    id: Mapped[int] = pk()
    email: Mapped[str] = mapped_column(Text, unique=True)
    display_name: Mapped[str] = mapped_column(Text, server_default="")
    role: Mapped[str] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()

    __table_args__ = (
        CheckConstraint(f"role IN ({_in(ROLES)})", name="role"),
        CheckConstraint(r"email = lower(email) AND email ~ '^[^@\s]+@[^@\s]+$'", name="email_format"),
    )


class ChangeRequest(Base):
    """A proposed change to what production uses, with its evidence and its review state."""

    __tablename__ = "change_requests"

    id: Mapped[int] = pk()
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="RESTRICT"))
    label: Mapped[str | None] = mapped_column(Text)
    # The label's version when the request was made (NULL: the label did not exist yet).
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("prompt_versions.id"))
    target_version_id: Mapped[int | None] = mapped_column(ForeignKey("prompt_versions.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    evidence: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text)
    requester_kind: Mapped[str] = mapped_column(Text)
    apply_after: Mapped[datetime | None] = mapped_column()
    auto_approved: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column()
    applied_by: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime | None] = mapped_column()
    # Why the request ended as it did (stale, failed, superseded); empty otherwise.
    status_detail: Mapped[str] = mapped_column(Text, server_default="")
    # Deferred: the superseding request gets its id before it is inserted (see core.governance.changes).
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("change_requests.id", deferrable=True, initially="DEFERRED")
    )
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()

    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(CHANGE_KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({_in(CHANGE_STATUSES)})", name="status"),
        CheckConstraint("requester_kind IN ('user', 'flow')", name="requester_kind"),
        CheckConstraint("length(btrim(reason)) > 0", name="reason_given"),
        CheckConstraint(
            f"kind NOT IN ({_in(LABEL_KINDS)}) OR (label IS NOT NULL AND target_version_id IS NOT NULL)",
            name="label_change_has_target",
        ),
        CheckConstraint(
            "(status = 'pending') = (decided_by IS NULL AND decided_at IS NULL) OR status = 'superseded'",
            name="decision_recorded",
        ),
        CheckConstraint("(status = 'applied') = (applied_at IS NOT NULL)", name="applied_recorded"),
        CheckConstraint("status <> 'superseded' OR superseded_by_id IS NOT NULL", name="superseded_by_given"),
        Index("ix_change_requests_status_created", "status", "created_at"),
        Index("ix_change_requests_prompt", "prompt_id", "label"),
        Index(
            "uq_change_requests_open_per_label",
            "prompt_id",
            "label",
            unique=True,
            postgresql_where=text(f"status IN ({_in(OPEN_STATUSES)})"),
        ),
    )


class ChangeRequestComment(Base):
    """Append-only discussion of a change request (decision comments included)."""

    __tablename__ = "change_request_comments"

    id: Mapped[int] = pk()
    change_request_id: Mapped[int] = mapped_column(ForeignKey("change_requests.id"))
    author: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()

    __table_args__ = (
        CheckConstraint("length(btrim(body)) > 0", name="body_given"),
        Index("ix_change_request_comments_request", "change_request_id", "id"),
    )


class AutoApplyPolicy(Base):
    """Per prompt: which low-risk classes of automated change may be applied without review."""

    __tablename__ = "auto_apply_policies"

    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"), primary_key=True)
    risk_classes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    enabled_by: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = _now()

    __table_args__ = (
        CheckConstraint(
            f"risk_classes <@ ARRAY[{_in(AUTO_APPLY_CLASSES)}]::text[]",
            name="low_risk_only",
        ),
    )


class NotificationChannel(Base):
    """A webhook or an email recipient list, with the event types it wants (empty: all)."""

    __tablename__ = "notification_channels"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    # webhook: {"url": ...}; email: {"to": [...]}
    config: Mapped[dict[str, Any]] = mapped_column()
    secret: Mapped[str | None] = mapped_column(Text)  # HMAC key of a webhook channel
    events: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'::text[]"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()

    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(CHANNEL_KINDS)})", name="kind"),
        CheckConstraint(r"name ~ '^[a-z][a-z0-9_.\-]{0,63}$'", name="name_format"),
        CheckConstraint("kind <> 'webhook' OR secret IS NOT NULL", name="webhook_secret"),
    )


class NotificationEvent(Base):
    """An event worth telling people about (append-only); fanned out to deliveries per channel."""

    __tablename__ = "notification_events"

    id: Mapped[int] = pk()
    type: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = _now()


class NotificationDelivery(Base):
    """The outbox: one event for one channel, delivered after the writing transaction commits."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = pk()
    event_id: Mapped[int] = mapped_column(ForeignKey("notification_events.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("notification_channels.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = _now()
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = _now()

    __table_args__ = (
        CheckConstraint(f"status IN ({_in(DELIVERY_STATUSES)})", name="status"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_notification_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("ix_notification_deliveries_event", "event_id"),
    )
