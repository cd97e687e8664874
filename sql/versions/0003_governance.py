"""Governance: users, change requests (+ comments), auto-apply policies, notification channels and outbox.

The database enforces the change-request state machine itself: a trigger refuses any change to a
request's proposal, any status move that is not an edge of the state machine
(pending → approved | rejected | superseded; approved → applied | failed | stale | superseded),
any change to a request in a final state, and every DELETE. A partial unique index allows at most
one open (pending or approved) request per prompt and label. Comments and notification events are
append-only (the ``promptloop_refuse_change`` trigger function of 0001).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FINAL = "'rejected', 'applied', 'failed', 'stale', 'superseded'"

CHANGE_REQUEST_GUARD_FN = f"""
CREATE FUNCTION promptloop_change_request_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'change request % cannot be deleted', OLD.id
            USING ERRCODE = 'raise_exception', HINT = 'reject it, or let a newer request supersede it';
    END IF;
    IF (NEW.id, NEW.kind, NEW.prompt_id, NEW.label, NEW.base_version_id, NEW.target_version_id,
        NEW.payload, NEW.evidence, NEW.reason, NEW.requested_by, NEW.requester_kind, NEW.created_at)
       IS DISTINCT FROM
       (OLD.id, OLD.kind, OLD.prompt_id, OLD.label, OLD.base_version_id, OLD.target_version_id,
        OLD.payload, OLD.evidence, OLD.reason, OLD.requested_by, OLD.requester_kind, OLD.created_at) THEN
        RAISE EXCEPTION 'the proposal of change request % is immutable', OLD.id
            USING ERRCODE = 'raise_exception', HINT = 'open a new change request instead';
    END IF;
    IF OLD.status IN ({FINAL}) THEN
        RAISE EXCEPTION 'change request % is %, a final state; it cannot change', OLD.id, OLD.status
            USING ERRCODE = 'raise_exception', HINT = 'open a new change request instead';
    END IF;
    IF NEW.status <> OLD.status AND NOT (
        (OLD.status = 'pending' AND NEW.status IN ('approved', 'rejected', 'superseded'))
        OR (OLD.status = 'approved' AND NEW.status IN ('applied', 'failed', 'stale', 'superseded'))
    ) THEN
        RAISE EXCEPTION 'change request %: % -> % is not a legal transition', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'raise_exception';
    END IF;
    RETURN NEW;
END;
$$
"""
APPEND_ONLY_TABLES = ("change_request_comments", "notification_events")


def _users() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), server_default="", nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'operator', 'admin')", name=op.f("ck_users_role")),
        sa.CheckConstraint(
            "email = lower(email) AND email ~ '^[^@\\s]+@[^@\\s]+$'", name=op.f("ck_users_email_format")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )


def _change_requests() -> None:
    op.create_table(
        "change_requests",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("prompt_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("base_version_id", sa.BigInteger(), nullable=True),
        sa.Column("target_version_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "payload", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column(
            "evidence", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("requester_kind", sa.Text(), nullable=False),
        sa.Column("apply_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("auto_approved", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_by", sa.Text(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_detail", sa.Text(), server_default="", nullable=False),
        sa.Column("superseded_by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('promote_version', 'rollback', 'policy_change', 'start_experiment', 'stop_experiment')",
            name=op.f("ck_change_requests_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'applied', 'failed', 'stale', 'superseded')",
            name=op.f("ck_change_requests_status"),
        ),
        sa.CheckConstraint("requester_kind IN ('user', 'flow')", name=op.f("ck_change_requests_requester_kind")),
        sa.CheckConstraint("length(btrim(reason)) > 0", name=op.f("ck_change_requests_reason_given")),
        sa.CheckConstraint(
            "kind NOT IN ('promote_version', 'rollback', 'policy_change') OR (label IS NOT NULL AND target_version_id IS NOT NULL)",
            name=op.f("ck_change_requests_label_change_has_target"),
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_by IS NULL AND decided_at IS NULL) OR status = 'superseded'",
            name=op.f("ck_change_requests_decision_recorded"),
        ),
        sa.CheckConstraint(
            "(status = 'applied') = (applied_at IS NOT NULL)", name=op.f("ck_change_requests_applied_recorded")
        ),
        sa.CheckConstraint(
            "status <> 'superseded' OR superseded_by_id IS NOT NULL",
            name=op.f("ck_change_requests_superseded_by_given"),
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"], ["prompts.id"], name=op.f("fk_change_requests_prompt_id_prompts"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["base_version_id"],
            ["prompt_versions.id"],
            name=op.f("fk_change_requests_base_version_id_prompt_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["target_version_id"],
            ["prompt_versions.id"],
            name=op.f("fk_change_requests_target_version_id_prompt_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["change_requests.id"],
            name=op.f("fk_change_requests_superseded_by_id_change_requests"),
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_requests")),
    )
    op.create_index("ix_change_requests_status_created", "change_requests", ["status", "created_at"], unique=False)
    op.create_index("ix_change_requests_prompt", "change_requests", ["prompt_id", "label"], unique=False)
    op.create_index(
        "uq_change_requests_open_per_label",
        "change_requests",
        ["prompt_id", "label"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
    )
    op.create_table(
        "change_request_comments",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("change_request_id", sa.BigInteger(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("length(btrim(body)) > 0", name=op.f("ck_change_request_comments_body_given")),
        sa.ForeignKeyConstraint(
            ["change_request_id"],
            ["change_requests.id"],
            name=op.f("fk_change_request_comments_change_request_id_change_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_request_comments")),
    )
    op.create_index(
        "ix_change_request_comments_request", "change_request_comments", ["change_request_id", "id"], unique=False
    )
    op.create_table(
        "auto_apply_policies",
        sa.Column("prompt_id", sa.BigInteger(), nullable=False),
        sa.Column("risk_classes", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("enabled_by", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "risk_classes <@ ARRAY['rollback', 'token_budget']::text[]",
            name=op.f("ck_auto_apply_policies_low_risk_only"),
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"], ["prompts.id"], name=op.f("fk_auto_apply_policies_prompt_id_prompts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("prompt_id", name=op.f("pk_auto_apply_policies")),
    )


def _notifications() -> None:
    op.create_table(
        "notification_channels",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("events", sa.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('webhook', 'email')", name=op.f("ck_notification_channels_kind")),
        sa.CheckConstraint("name ~ '^[a-z][a-z0-9_.\\-]{0,63}$'", name=op.f("ck_notification_channels_name_format")),
        sa.CheckConstraint(
            "kind <> 'webhook' OR secret IS NOT NULL", name=op.f("ck_notification_channels_webhook_secret")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_notification_channels_name")),
    )
    op.create_table(
        "notification_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_events")),
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name=op.f("ck_notification_deliveries_status")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notification_deliveries_attempts_non_negative")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["notification_events.id"],
            name=op.f("fk_notification_deliveries_event_id_notification_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["notification_channels.id"],
            name=op.f("fk_notification_deliveries_channel_id_notification_channels"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
    )
    op.create_index(
        "ix_notification_deliveries_due",
        "notification_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_notification_deliveries_event", "notification_deliveries", ["event_id"], unique=False)


def upgrade() -> None:
    _users()
    _change_requests()
    _notifications()
    op.execute(CHANGE_REQUEST_GUARD_FN)
    op.execute(
        "CREATE TRIGGER change_requests_guard BEFORE UPDATE OR DELETE ON change_requests "
        "FOR EACH ROW EXECUTE FUNCTION promptloop_change_request_guard()"
    )
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION promptloop_refuse_change()"
        )


def downgrade() -> None:
    for table in APPEND_ONLY_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
    op.execute("DROP TRIGGER IF EXISTS change_requests_guard ON change_requests")
    op.execute("DROP FUNCTION IF EXISTS promptloop_change_request_guard()")
    op.drop_index("ix_notification_deliveries_event", table_name="notification_deliveries")
    op.drop_index("ix_notification_deliveries_due", table_name="notification_deliveries")
    op.drop_table("notification_deliveries")
    op.drop_table("notification_events")
    op.drop_table("notification_channels")
    op.drop_table("auto_apply_policies")
    op.drop_index("ix_change_request_comments_request", table_name="change_request_comments")
    op.drop_table("change_request_comments")
    op.drop_index("uq_change_requests_open_per_label", table_name="change_requests")
    op.drop_index("ix_change_requests_prompt", table_name="change_requests")
    op.drop_index("ix_change_requests_status_created", table_name="change_requests")
    op.drop_table("change_requests")
    op.drop_table("users")
