"""Insights, weekly reports and recommendations.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRIORITIES = "'critical', 'high', 'medium', 'low'"
CATEGORIES = "'accuracy', 'regression', 'anomaly', 'corrections', 'cost', 'latency'"
INSIGHT_STATUSES = "'open', 'acknowledged', 'resolved', 'dismissed'"
KINDS = "'section_add', 'section_remove', 'token_budget', 'section_combination'"
RECOMMENDATION_STATUSES = "'new', 'accepted', 'rejected', 'superseded'"


def _jsonb(name: str, default: str | None = None) -> sa.Column:  # type: ignore[type-arg]
    server_default = sa.text(default) if default is not None else None
    return sa.Column(name, postgresql.JSONB(astext_type=sa.Text()), server_default=server_default, nullable=False)


def _now(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)


def _insights() -> None:
    op.create_table(
        "insights",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("prompt_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        _jsonb("action_items", "'[]'::jsonb"),
        _jsonb("evidence", "'{}'::jsonb"),
        sa.Column("condition_present", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times_opened", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("status_by", sa.Text(), nullable=True),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_note", sa.Text(), server_default="", nullable=False),
        _now("created_at"),
        _now("updated_at"),
        sa.CheckConstraint(f"priority IN ({PRIORITIES})", name=op.f("ck_insights_priority")),
        sa.CheckConstraint(f"category IN ({CATEGORIES})", name=op.f("ck_insights_category")),
        sa.CheckConstraint(f"status IN ({INSIGHT_STATUSES})", name=op.f("ck_insights_status")),
        sa.ForeignKeyConstraint(
            ["prompt_id"], ["prompts.id"], name=op.f("fk_insights_prompt_id_prompts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insights")),
        sa.UniqueConstraint("prompt_id", "key", name=op.f("uq_insights_prompt_id_key")),
    )
    op.create_index("ix_insights_status_priority", "insights", ["status", "priority"], unique=False)


def _reports() -> None:
    op.create_table(
        "reports",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.Text(), server_default="weekly", nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generated_by", sa.Text(), nullable=False),
        sa.Column("prompts", sa.Integer(), nullable=False),
        sa.Column("recommendations", sa.Integer(), nullable=False),
        _jsonb("errors", "'{}'::jsonb"),
        _jsonb("content"),
        sa.Column("markdown", sa.Text(), nullable=False),
        _now("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )
    op.create_index("ix_reports_created_at", "reports", ["created_at"], unique=False)


def _recommendations() -> None:
    op.create_table(
        "recommendations",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("prompt_id", sa.BigInteger(), nullable=False),
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="new", nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), server_default="", nullable=False),
        sa.Column("observational", sa.Boolean(), nullable=False),
        sa.Column("base_version_id", sa.BigInteger(), nullable=False),
        _jsonb("payload", "'{}'::jsonb"),
        _jsonb("evidence", "'{}'::jsonb"),
        sa.Column("q_value", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), server_default="", nullable=False),
        sa.Column("status_detail", sa.Text(), server_default="", nullable=False),
        sa.Column("superseded_by_id", sa.BigInteger(), nullable=True),
        _now("created_at"),
        sa.CheckConstraint(f"kind IN ({KINDS})", name=op.f("ck_recommendations_kind")),
        sa.CheckConstraint(f"status IN ({RECOMMENDATION_STATUSES})", name=op.f("ck_recommendations_status")),
        sa.CheckConstraint(
            "(status IN ('accepted', 'rejected')) = (decided_by IS NOT NULL AND decided_at IS NOT NULL)",
            name=op.f("ck_recommendations_decision_recorded"),
        ),
        sa.ForeignKeyConstraint(
            ["prompt_id"], ["prompts.id"], name=op.f("fk_recommendations_prompt_id_prompts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_recommendations_report_id_reports"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["base_version_id"],
            ["prompt_versions.id"],
            name=op.f("fk_recommendations_base_version_id_prompt_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["recommendations.id"],
            name=op.f("fk_recommendations_superseded_by_id_recommendations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
    )
    op.create_index("ix_recommendations_prompt_key", "recommendations", ["prompt_id", "key"], unique=False)
    op.create_index("ix_recommendations_status", "recommendations", ["status", "created_at"], unique=False)


def upgrade() -> None:
    _insights()
    _reports()
    _recommendations()


def downgrade() -> None:
    op.drop_index("ix_recommendations_status", table_name="recommendations")
    op.drop_index("ix_recommendations_prompt_key", table_name="recommendations")
    op.drop_table("recommendations")
    op.drop_index("ix_reports_created_at", table_name="reports")
    op.drop_table("reports")
    op.drop_index("ix_insights_status_priority", table_name="insights")
    op.drop_table("insights")
