"""Immutable versions: add (deduplicated by content hash), look up, list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.db.models.registry import VERSION_ORIGINS, Prompt, PromptSection, PromptVersion
from core.errors import NotFoundError, ValidationError
from core.governance.audit import record_event
from core.registry.prompts import get_prompt
from core.registry.semver import INITIAL, Bump, SemVer, infer_bump
from core.registry.spec import VersionContent


@dataclass(frozen=True)
class AddedVersion:
    version: PromptVersion
    created: bool  # False: an existing version had the same content and was returned
    bump: Bump | None  # the bump applied (None for the first version or a duplicate)


def add_version(
    session: Session,
    *,
    prompt_name: str,
    content: VersionContent,
    actor: str,
    bump: Bump | None = None,
    parent: str | None = None,
    origin: str = "manual",
    notes: str = "",
    created_at: datetime | None = None,
) -> AddedVersion:
    """Add a version to a prompt, or return the existing one with identical content.

    ``parent`` defaults to the latest version; the new version number is the highest existing one
    bumped by ``bump`` (inferred from the parent when not given), so numbers never collide.
    ``created_at`` back-dates the version when importing history (default: now).
    """
    if origin not in VERSION_ORIGINS:
        raise ValidationError(f"origin must be one of {', '.join(VERSION_ORIGINS)}, not '{origin}'")
    prompt = get_prompt(session, name=prompt_name, for_update=True)  # serialises writers of this prompt
    canonical = content.canonical()
    digest = content.content_hash()
    existing = session.scalar(
        select(PromptVersion).where(PromptVersion.prompt_id == prompt.id, PromptVersion.content_hash == digest)
    )
    if existing is not None:
        return AddedVersion(version=existing, created=False, bump=None)

    latest = latest_version(session, prompt=prompt)
    parent_row = get_version(session, prompt=prompt, version=parent) if parent else latest
    if latest is None:
        number, applied = SemVer.parse(INITIAL), None
    else:
        applied = bump or infer_bump(parent_row.content if parent_row else {}, canonical)
        number = SemVer(latest.major, latest.minor, latest.patch).bump(applied)

    row = PromptVersion(
        prompt_id=prompt.id,
        version=str(number),
        major=number.major,
        minor=number.minor,
        patch=number.patch,
        parent_id=parent_row.id if parent_row else None,
        origin=origin,
        author=actor,
        notes=notes,
        content=canonical,
        content_hash=digest,
        section_ids=content.section_ids,
    )
    if created_at is not None:
        row.created_at = created_at
    session.add(row)
    session.flush()
    _register_sections(session, prompt=prompt, content=content)
    record_event(
        session,
        actor=actor,
        action="version.created",
        entity_type="prompt_version",
        entity_id=row.id,
        after={
            "prompt": prompt.name,
            "version": row.version,
            "parent": parent_row.version if parent_row else None,
            "bump": applied,
            "origin": origin,
            "content_hash": digest,
        },
    )
    return AddedVersion(version=row, created=True, bump=applied)


def _register_sections(session: Session, *, prompt: Prompt, content: VersionContent) -> None:
    """Keep the prompt's section catalogue current (the latest kind of each section id wins)."""
    for section in content.sections:
        statement = insert(PromptSection).values(prompt_id=prompt.id, section_key=section.id, kind=section.kind)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[PromptSection.prompt_id, PromptSection.section_key],
                set_={"kind": statement.excluded.kind},
            )
        )


def latest_version(session: Session, *, prompt: Prompt) -> PromptVersion | None:
    return session.scalar(
        select(PromptVersion)
        .where(PromptVersion.prompt_id == prompt.id)
        .order_by(PromptVersion.major.desc(), PromptVersion.minor.desc(), PromptVersion.patch.desc())
        .limit(1)
    )


def get_version(session: Session, *, prompt: Prompt, version: str) -> PromptVersion:
    row = session.scalar(
        select(PromptVersion).where(PromptVersion.prompt_id == prompt.id, PromptVersion.version == version)
    )
    if row is None:
        raise NotFoundError(
            f"prompt '{prompt.name}' has no version '{version}' (see `promptloop prompts show {prompt.name}`)"
        )
    return row


def list_versions(session: Session, *, prompt: Prompt) -> Sequence[PromptVersion]:
    return session.scalars(
        select(PromptVersion)
        .where(PromptVersion.prompt_id == prompt.id)
        .order_by(PromptVersion.major, PromptVersion.minor, PromptVersion.patch)
    ).all()


def content_of(version: PromptVersion) -> VersionContent:
    """The validated content model of a stored version."""
    return VersionContent.model_validate(version.content)
