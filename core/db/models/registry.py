"""Prompts, their section catalogue, immutable versions, labels and the label history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, created_at, pk

SECTION_KINDS = ("guardrail", "required", "optional")
VERSION_ORIGINS = ("manual", "induced", "evolved", "recommendation")


class Prompt(Base):
    """A purpose or call site (e.g. ``thought_to_intent``)."""

    __tablename__ = "prompts"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(Text, unique=True)
    description: Mapped[str] = mapped_column(Text, server_default="")
    # Per-prompt settings (thresholds, segment dimensions, ...); later modules read their own keys.
    settings: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (CheckConstraint(r"name ~ '^[a-z][a-z0-9_.\-]{0,127}$'", name="name_format"),)


class PromptSection(Base):
    """The catalogue of section ids a prompt has used, with their kind."""

    __tablename__ = "prompt_sections"

    id: Mapped[int] = pk()
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    section_key: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("prompt_id", "section_key"),
        CheckConstraint("kind IN ('guardrail', 'required', 'optional')", name="kind"),
    )


class PromptVersion(Base):
    """An immutable version: the database refuses UPDATE and DELETE (trigger in the migration)."""

    __tablename__ = "prompt_versions"

    id: Mapped[int] = pk()
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="RESTRICT"))
    version: Mapped[str] = mapped_column(Text)
    major: Mapped[int] = mapped_column(Integer)
    minor: Mapped[int] = mapped_column(Integer)
    patch: Mapped[int] = mapped_column(Integer)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("prompt_versions.id"))
    origin: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, server_default="")
    content: Mapped[dict[str, Any]] = mapped_column()
    content_hash: Mapped[str] = mapped_column(Text)
    section_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    created_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("prompt_id", "version"),
        UniqueConstraint("prompt_id", "content_hash"),
        CheckConstraint("origin IN ('manual', 'induced', 'evolved', 'recommendation')", name="origin"),
        CheckConstraint("content_hash ~ '^[0-9a-f]{64}$'", name="content_hash_format"),
        CheckConstraint("major >= 0 AND minor >= 0 AND patch >= 0", name="semver_parts"),
    )


class Label(Base):
    """A named pointer (``production``, ``staging``, ...) at one version of a prompt."""

    __tablename__ = "labels"

    id: Mapped[int] = pk()
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    version_id: Mapped[int] = mapped_column(ForeignKey("prompt_versions.id"))
    updated_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = created_at()

    __table_args__ = (
        UniqueConstraint("prompt_id", "name"),
        CheckConstraint(r"name ~ '^[a-z][a-z0-9_.\-]{0,63}$'", name="name_format"),
    )


class LabelMove(Base):
    """Append-only history of every label move (the database refuses UPDATE and DELETE)."""

    __tablename__ = "label_moves"

    id: Mapped[int] = pk()
    prompt_id: Mapped[int] = mapped_column(ForeignKey("prompts.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(Text)
    from_version_id: Mapped[int | None] = mapped_column(ForeignKey("prompt_versions.id"))
    to_version_id: Mapped[int] = mapped_column(ForeignKey("prompt_versions.id"))
    kind: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    change_request_id: Mapped[int | None] = mapped_column(BigInteger)
    moved_at: Mapped[datetime] = created_at()

    __table_args__ = (
        CheckConstraint("kind IN ('set', 'rollback')", name="kind"),
        Index("ix_label_moves_prompt_label_id", "prompt_id", "label", "id"),
    )
