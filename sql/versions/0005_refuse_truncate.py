"""Refuse TRUNCATE of the tables whose rows may never change.

0001 and 0003 made versions, label moves, the audit log, change-request comments and notification
events immutable row by row (and change requests guarded by their state machine), but row triggers do
not fire on TRUNCATE: ``TRUNCATE audit_events`` (or ``TRUNCATE prompts CASCADE``) would have wiped the
history silently. A statement-level trigger per table refuses it with the same function and message.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROTECTED_TABLES = (
    "prompt_versions",
    "label_moves",
    "audit_events",
    "change_requests",
    "change_request_comments",
    "notification_events",
)


def upgrade() -> None:
    for table in PROTECTED_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION promptloop_refuse_change()"
        )


def downgrade() -> None:
    for table in PROTECTED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
