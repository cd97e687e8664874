"""Insights (hourly rule findings with a lifecycle), weekly recommendations and the stored weekly reports.

* ``insights``: one row per (prompt, key) for ever — a condition that clears resolves the row and a
  condition that returns reopens the same row, so an insight's history is one row plus its audit events.
  ``condition_present`` says whether the latest discovery still found the condition (a dismissed
  insight stays dismissed while it is true).
* ``recommendations``: one row per weekly finding; a newer row with the same (prompt, key) supersedes
  an older one still ``new``.
* ``reports``: the weekly report as JSON (with the charts' data) and Markdown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, pk
from core.db.base import created_at as _now

PRIORITIES = ("critical", "high", "medium", "low")
CATEGORIES = ("accuracy", "regression", "anomaly", "corrections", "cost", "latency")
INSIGHT_STATUSES = ("open", "acknowledged", "resolved", "dismissed")
RECOMMENDATION_KINDS = ("section_add", "section_remove", "token_budget", "section_combination")
RECOMMENDATION_STATUSES = ("new", "accepted", "rejected", "superseded")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Insight(Base):
    __tablename__ = "insights"

    id: Mapped[int] = pk()
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)  # stable identity of the condition, e.g. "regression:production:2.1.0"
    rule: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="open")
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, server_default="")
    action_items: Mapped[list[Any]] = mapped_column(server_default=text("'[]'::jsonb"))
    evidence: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    condition_present: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    times_opened: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    # The latest status change: who (a user, or "system" for automatic transitions), when, and the note.
    status_by: Mapped[str | None] = mapped_column(Text)
    status_at: Mapped[datetime | None] = mapped_column()
    status_note: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()

    __table_args__ = (
        UniqueConstraint("prompt_id", "key"),
        CheckConstraint(f"priority IN ({_in(PRIORITIES)})", name="priority"),
        CheckConstraint(f"category IN ({_in(CATEGORIES)})", name="category"),
        CheckConstraint(f"status IN ({_in(INSIGHT_STATUSES)})", name="status"),
        Index("ix_insights_status_priority", "status", "priority"),
    )


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = pk()
    kind: Mapped[str] = mapped_column(Text, server_default="weekly")
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    generated_by: Mapped[str] = mapped_column(Text)
    prompts: Mapped[int] = mapped_column(Integer)
    recommendations: Mapped[int] = mapped_column(Integer)
    errors: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    content: Mapped[dict[str, Any]] = mapped_column()  # the JSON report, with every chart's data
    markdown: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _now()

    __table_args__ = (Index("ix_reports_created_at", "created_at"),)


class Recommendation(Base):
    __tablename__ = "recommendations"

    id: Mapped[int] = pk()
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(Text)  # e.g. "section:memory_recall_snippets", "token_budget"
    kind: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text, server_default="new")
    title: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text, server_default="")
    observational: Mapped[bool] = mapped_column(Boolean)
    # The version the recommendation changes, and what to change (section id, policy move, budget).
    base_version_id: Mapped[int] = mapped_column(ForeignKey("prompt_versions.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    evidence: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    q_value: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float)
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column()
    decision_note: Mapped[str] = mapped_column(Text, server_default="")
    # Why a recommendation ended as superseded (a newer one, or a newer report that no longer supports it).
    status_detail: Mapped[str] = mapped_column(Text, server_default="")
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("recommendations.id"))
    created_at: Mapped[datetime] = _now()

    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(RECOMMENDATION_KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({_in(RECOMMENDATION_STATUSES)})", name="status"),
        CheckConstraint(
            "(status IN ('accepted', 'rejected')) = (decided_by IS NOT NULL AND decided_at IS NOT NULL)",
            name="decision_recorded",
        ),
        Index("ix_recommendations_prompt_key", "prompt_id", "key"),
        Index("ix_recommendations_status", "status", "created_at"),
    )
