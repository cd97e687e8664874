"""Executions, outcomes, hourly rollups and the rollup refresh state.

Raw rows (``executions``, ``outcomes``) are written by ``core.tracking.ingest`` only; the rollup
tables by ``core.tracking.rollups`` only. Analytics reads ``rollups_hourly`` and
``rollups_unit_daily``, never the raw rows.

Change tracking: every insert into ``executions`` and every change of its outcome summary stamps
``change_xid`` with the writing transaction's id (``pg_current_xact_id()``, as bigint). The rollup
refresh processes rows whose ``change_xid`` lies between its stored watermark and the oldest
transaction still running, which is exact under concurrent writers (see ``core.tracking.rollups``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, created_at, pk

OUTCOME_KINDS = ("EXECUTION_SUCCESS", "EXECUTION_FAILURE", "USER_CORRECTION", "QUALITY_SCORE", "USER_RATING")
# The writing transaction's id; xid8 is 64-bit (epoch-extended), so it never wraps around.
CURRENT_XID = text("(pg_current_xact_id()::text)::bigint")
_KINDS_SQL = ", ".join(f"'{kind}'" for kind in OUTCOME_KINDS)


class Execution(Base):
    """One LLM call made with a prompt version; its outcome summary is maintained from ``outcomes``."""

    __tablename__ = "executions"

    id: Mapped[int] = pk()
    client_id: Mapped[str] = mapped_column(Text, unique=True)
    # No foreign keys to the registry, on purpose: they cost ~40 % of the bulk insert (two RI checks
    # per row) and cannot be violated here: ids are resolved from the registry in the inserting
    # transaction, versions can never be deleted (trigger in 0001), and prompts keep their versions.
    prompt_id: Mapped[int] = mapped_column(BigInteger)
    version_id: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str | None] = mapped_column(Text)
    experiment: Mapped[str | None] = mapped_column(Text)
    arm: Mapped[str | None] = mapped_column(Text)
    # The included section ids as a set (sorted) and its stable hash (core.tracking.keys.section_set_hash).
    section_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    section_set_hash: Mapped[str] = mapped_column(Text)
    prompt_tokens: Mapped[int] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float] = mapped_column(Float)
    model: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[str | None] = mapped_column(Text)
    session_id: Mapped[str | None] = mapped_column(Text)
    segment: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    occurred_at: Mapped[datetime]
    # Outcome summary (core.tracking.precedence): effective accuracy and the kind it came from.
    accuracy: Mapped[float | None] = mapped_column(Float)
    accuracy_kind: Mapped[str | None] = mapped_column(Text)
    corrected: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    failed: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    change_xid: Mapped[int] = mapped_column(BigInteger, server_default=CURRENT_XID)
    received_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint("accuracy >= 0 AND accuracy <= 1", name="accuracy_range"),
        CheckConstraint(f"accuracy_kind IN ({_KINDS_SQL})", name="accuracy_kind"),
        # 16 lower-case hex digits, without the regex engine (migration 0006 says why and how).
        CheckConstraint(
            "char_length(section_set_hash) = 16 AND decode(section_set_hash, 'hex') IS NOT NULL "
            "AND section_set_hash = lower(section_set_hash)",
            name="section_set_hash_format",
        ),
        CheckConstraint("prompt_tokens >= 0 AND latency_ms >= 0", name="non_negative"),
        Index("ix_executions_prompt_occurred", "prompt_id", "occurred_at"),
        # BRIN, not B-tree: change_xid grows with every insert, so block ranges stay narrow, and a
        # B-tree would cost the bulk path an index write per row. Summary updates from late outcomes
        # widen a range a little; the refresh reads only ranges that may hold rows past its watermark.
        Index(
            "ix_executions_change_xid", "change_xid", postgresql_using="brin", postgresql_with={"autosummarize": "on"}
        ),
    )


class Outcome(Base):
    """Evidence about an execution; ``execution_pk`` is NULL while the execution is not known yet."""

    __tablename__ = "outcomes"

    id: Mapped[int] = pk()
    client_id: Mapped[str] = mapped_column(Text, unique=True)
    execution_client_id: Mapped[str] = mapped_column(Text)
    # No foreign key, for the reason given on Execution.prompt_id (it cost ~15 % of the bulk merge):
    # only ingestion sets it, from a join with ``executions`` under the writer lock, and executions
    # are never deleted.
    execution_pk: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(Text)
    # The accuracy this outcome stands for: given by the client, or computed (core.tracking.precedence).
    accuracy: Mapped[float] = mapped_column(Float)
    accuracy_given: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)  # redacted
    original: Mapped[str | None] = mapped_column(Text)  # redacted
    corrected: Mapped[str | None] = mapped_column(Text)  # redacted
    score: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS_SQL})", name="kind"),
        CheckConstraint("accuracy >= 0 AND accuracy <= 1", name="accuracy_range"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_outcomes_execution_pk", "execution_pk"),
        Index(
            "ix_outcomes_pending",
            "execution_client_id",
            postgresql_where=text("execution_pk IS NULL"),
        ),
    )


class RollupHourly(Base):
    """Sufficient statistics of one cell in one UTC hour.

    A cell is (prompt, version, label, experiment, arm, section set, segment key); '' stands for
    "none" in label/experiment/arm so the key can be a primary key on every Postgres >= 14.
    The primary key leads with (prompt_id, hour): "one prompt over a date range" is one index range.
    """

    __tablename__ = "rollups_hourly"

    prompt_id: Mapped[int] = mapped_column(BigInteger)
    hour: Mapped[datetime]
    version_id: Mapped[int] = mapped_column(BigInteger)
    label: Mapped[str] = mapped_column(Text)
    experiment: Mapped[str] = mapped_column(Text)
    arm: Mapped[str] = mapped_column(Text)
    section_set_hash: Mapped[str] = mapped_column(Text)
    segment_key: Mapped[dict[str, Any]] = mapped_column(JSONB)
    section_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    executions: Mapped[int] = mapped_column(BigInteger)
    accuracy_n: Mapped[int] = mapped_column(BigInteger)
    accuracy_sum: Mapped[float] = mapped_column(Float)
    accuracy_sum_sq: Mapped[float] = mapped_column(Float)
    corrections: Mapped[int] = mapped_column(BigInteger)
    failures: Mapped[int] = mapped_column(BigInteger)
    rating_n: Mapped[int] = mapped_column(BigInteger)
    rating_sum: Mapped[int] = mapped_column(BigInteger)
    prompt_tokens_sum: Mapped[int] = mapped_column(BigInteger)
    prompt_tokens_max: Mapped[int] = mapped_column(Integer)
    completion_tokens_sum: Mapped[int] = mapped_column(BigInteger)
    latency_ms_sum: Mapped[float] = mapped_column(Float)
    # Dense counts per fixed log-scale bucket (core.tracking.histogram.EDGES): latency in ms, prompt
    # tokens of all executions, and prompt tokens of those with accuracy >= histogram.HIGH_ACCURACY.
    latency_hist: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    prompt_tokens_hist: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    prompt_tokens_hist_high: Mapped[list[int]] = mapped_column(ARRAY(Integer))

    __table_args__ = (
        PrimaryKeyConstraint(
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


class RollupUnitDaily(Base):
    """Sufficient statistics of one unit (pseudonymous user) of one prompt on one UTC day.

    Executions without a ``unit_id`` are not counted here. The primary key leads with
    (prompt_id, day): "one prompt over a date range" is one index range.
    """

    __tablename__ = "rollups_unit_daily"

    prompt_id: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[str] = mapped_column(Text)
    # Per-unit-day counts are small: integers keep this (large) table narrow.
    executions: Mapped[int] = mapped_column(Integer)
    accuracy_n: Mapped[int] = mapped_column(Integer)
    accuracy_sum: Mapped[float] = mapped_column(Float)
    accuracy_sum_sq: Mapped[float] = mapped_column(Float)
    corrections: Mapped[int] = mapped_column(Integer)
    failures: Mapped[int] = mapped_column(Integer)
    prompt_tokens_sum: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (PrimaryKeyConstraint("prompt_id", "day", "unit_id", name="pk_rollups_unit_daily"),)


class RollupPromptState(Base):
    """The segment dimensions each prompt's rollups were built with; a change forces a rebuild."""

    __tablename__ = "rollup_prompt_state"

    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"), primary_key=True)
    segment_dimensions: Mapped[list[Any]] = mapped_column(JSONB)


class RollupState(Base):
    """One row: the refresh watermark (a transaction id) and when the last refresh ran."""

    __tablename__ = "rollup_state"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    watermark_xid: Mapped[int] = mapped_column(BigInteger)
    refreshed_at: Mapped[datetime | None]
    last_full_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
