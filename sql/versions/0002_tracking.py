"""Tracking: executions, outcomes (pending until their execution arrives), hourly and unit-daily rollups.

Also the refresh state (one row holding the transaction-id watermark), the SQL functions that build
the rollups' log-scale histograms, and planner statistics on the refresh's hour and day expressions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The rollup histograms (core.tracking.histogram, core.tracking.rollup_sql): the bucket of a value,
# the one-hot numeric of a bucket (bucket b is the 10-digit field b, counted from the most
# significant end of a 620-digit number), and the dense integer[] of a sum of one-hots. A count past
# 2^31 - 1 fails the integer cast; a field holds up to 10^10 - 1, so a carry into the next field
# would take 10^10 executions in one bucket of one cell-hour. The SQL functions are inlined into
# the refresh's statements.
_UNITS = ",".join(f"1e{10 * (61 - b)}" for b in range(62))
HISTOGRAM_FNS = (
    """
CREATE FUNCTION promptloop_log_bucket(x double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN x < 1 THEN 0 ELSE least(61, floor(10 * log(x))::integer + 1) END $$
""",
    f"""
CREATE FUNCTION promptloop_hist_unit(bucket integer) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ('{{{_UNITS}}}'::numeric[])[bucket + 1] $$
""",
    r"""
CREATE FUNCTION promptloop_hist_unpack(packed numeric) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT string_to_array(rtrim(regexp_replace(lpad(coalesce(packed, 0)::text, 620, '0'),
                                                  '(..........)', '\1,', 'g'), ','), ',')::integer[] $$
""",
)
DROP_HISTOGRAM_FNS = (
    "DROP FUNCTION IF EXISTS promptloop_hist_unpack(numeric)",
    "DROP FUNCTION IF EXISTS promptloop_hist_unit(integer)",
    "DROP FUNCTION IF EXISTS promptloop_log_bucket(double precision)",
)
# Statistics on the refresh's hour and day expressions (core.tracking.rollup_sql.HOUR / DAY, which
# must match them exactly): without them the planner takes every timestamp for its own hour,
# expects as many groups as rows and will not aggregate in parallel.
STATISTICS = (
    "CREATE STATISTICS executions_hour_stats ON "
    "(date_bin(INTERVAL '1 hour', occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')) FROM executions",
    "CREATE STATISTICS executions_day_stats ON "
    "(date_bin(INTERVAL '1 day', occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00')) FROM executions",
)


def upgrade() -> None:
    op.create_table(
        "rollup_state",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("watermark_xid", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_full_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_rollup_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_state")),
    )
    op.create_table(
        "rollups_hourly",
        sa.Column("prompt_id", sa.BigInteger(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("experiment", sa.Text(), nullable=False),
        sa.Column("arm", sa.Text(), nullable=False),
        sa.Column("section_set_hash", sa.Text(), nullable=False),
        sa.Column("segment_key", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("section_ids", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("executions", sa.BigInteger(), nullable=False),
        sa.Column("accuracy_n", sa.BigInteger(), nullable=False),
        sa.Column("accuracy_sum", sa.Float(), nullable=False),
        sa.Column("accuracy_sum_sq", sa.Float(), nullable=False),
        sa.Column("corrections", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("rating_n", sa.BigInteger(), nullable=False),
        sa.Column("rating_sum", sa.BigInteger(), nullable=False),
        sa.Column("prompt_tokens_sum", sa.BigInteger(), nullable=False),
        sa.Column("prompt_tokens_max", sa.Integer(), nullable=False),
        sa.Column("completion_tokens_sum", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms_sum", sa.Float(), nullable=False),
        sa.Column("latency_hist", sa.ARRAY(sa.Integer()), nullable=False),
        sa.Column("prompt_tokens_hist", sa.ARRAY(sa.Integer()), nullable=False),
        sa.Column("prompt_tokens_hist_high", sa.ARRAY(sa.Integer()), nullable=False),
        sa.PrimaryKeyConstraint(
            "prompt_id",
            "hour",
            "version_id",
            "label",
            "experiment",
            "arm",
            "section_set_hash",
            "segment_key",
            name="pk_rollups_hourly",
        ),
    )
    op.create_table(
        "rollups_unit_daily",
        sa.Column("prompt_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Text(), nullable=False),
        sa.Column("executions", sa.Integer(), nullable=False),
        sa.Column("accuracy_n", sa.Integer(), nullable=False),
        sa.Column("accuracy_sum", sa.Float(), nullable=False),
        sa.Column("accuracy_sum_sq", sa.Float(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("prompt_tokens_sum", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("prompt_id", "day", "unit_id", name="pk_rollups_unit_daily"),
    )
    op.create_table(
        "rollup_prompt_state",
        sa.Column("prompt_id", sa.BigInteger(), nullable=False),
        sa.Column("segment_dimensions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["prompt_id"], ["prompts.id"], name=op.f("fk_rollup_prompt_state_prompt_id_prompts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("prompt_id", name=op.f("pk_rollup_prompt_state")),
    )
    op.create_table(
        "executions",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("prompt_id", sa.BigInteger(), nullable=False),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("experiment", sa.Text(), nullable=True),
        sa.Column("arm", sa.Text(), nullable=True),
        sa.Column("section_ids", sa.ARRAY(sa.Text()), nullable=False),
        sa.Column("section_set_hash", sa.Text(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("model", sa.Text(), nullable=True),
        sa.Column("unit_id", sa.Text(), nullable=True),
        sa.Column("session_id", sa.Text(), nullable=True),
        sa.Column(
            "segment", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("accuracy_kind", sa.Text(), nullable=True),
        sa.Column("corrected", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("failed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column(
            "change_xid",
            sa.BigInteger(),
            server_default=sa.text("(pg_current_xact_id()::text)::bigint"),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "accuracy_kind IN ('EXECUTION_SUCCESS', 'EXECUTION_FAILURE', 'USER_CORRECTION', 'QUALITY_SCORE', 'USER_RATING')",
            name=op.f("ck_executions_accuracy_kind"),
        ),
        sa.CheckConstraint("section_set_hash ~ '^[0-9a-f]{16}$'", name=op.f("ck_executions_section_set_hash_format")),
        sa.CheckConstraint("accuracy >= 0 AND accuracy <= 1", name=op.f("ck_executions_accuracy_range")),
        sa.CheckConstraint("prompt_tokens >= 0 AND latency_ms >= 0", name=op.f("ck_executions_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executions")),
        sa.UniqueConstraint("client_id", name=op.f("uq_executions_client_id")),
    )
    op.create_index(
        "ix_executions_change_xid",
        "executions",
        ["change_xid"],
        unique=False,
        postgresql_using="brin",
        postgresql_with={"autosummarize": "on"},
    )
    op.create_index("ix_executions_prompt_occurred", "executions", ["prompt_id", "occurred_at"], unique=False)
    op.create_table(
        "outcomes",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("execution_client_id", sa.Text(), nullable=False),
        sa.Column("execution_pk", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=False),
        sa.Column("accuracy_given", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("original", sa.Text(), nullable=True),
        sa.Column("corrected", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('EXECUTION_SUCCESS', 'EXECUTION_FAILURE', 'USER_CORRECTION', 'QUALITY_SCORE', 'USER_RATING')",
            name=op.f("ck_outcomes_kind"),
        ),
        sa.CheckConstraint("accuracy >= 0 AND accuracy <= 1", name=op.f("ck_outcomes_accuracy_range")),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_outcomes_rating_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
        sa.UniqueConstraint("client_id", name=op.f("uq_outcomes_client_id")),
    )
    op.create_index("ix_outcomes_execution_pk", "outcomes", ["execution_pk"], unique=False)
    op.create_index(
        "ix_outcomes_pending",
        "outcomes",
        ["execution_client_id"],
        unique=False,
        postgresql_where=sa.text("execution_pk IS NULL"),
    )
    for statement in (*HISTOGRAM_FNS, *STATISTICS):
        op.execute(statement)
    op.execute("INSERT INTO rollup_state (id, watermark_xid) VALUES (1, 0)")


def downgrade() -> None:
    for statement in DROP_HISTOGRAM_FNS:
        op.execute(statement)
    op.drop_index("ix_outcomes_pending", table_name="outcomes", postgresql_where=sa.text("execution_pk IS NULL"))
    op.drop_index("ix_outcomes_execution_pk", table_name="outcomes")
    op.drop_table("outcomes")
    op.drop_index("ix_executions_prompt_occurred", table_name="executions")
    op.drop_index("ix_executions_change_xid", table_name="executions")
    op.drop_table("executions")
    op.drop_table("rollup_prompt_state")
    op.drop_table("rollups_unit_daily")
    op.drop_table("rollups_hourly")
    op.drop_table("rollup_state")
