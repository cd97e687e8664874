"""Prompts: create, look up, list."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models.registry import Prompt
from core.errors import ConflictError, NotFoundError, ValidationError
from core.governance.audit import record_event

_NAME = re.compile(r"^[a-z][a-z0-9_.\-]{0,127}$")


def create_prompt(session: Session, *, name: str, description: str = "", actor: str) -> Prompt:
    if not _NAME.match(name):
        raise ValidationError(
            f"invalid prompt name '{name}': use lowercase letters, digits, '_', '-' or '.', starting with a letter"
        )
    if session.scalar(select(Prompt.id).where(Prompt.name == name)) is not None:
        raise ConflictError(f"prompt '{name}' already exists")
    prompt = Prompt(name=name, description=description, created_by=actor)
    session.add(prompt)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="prompt.created",
        entity_type="prompt",
        entity_id=prompt.id,
        after={"name": name, "description": description},
    )
    return prompt


def get_prompt(session: Session, *, name: str, for_update: bool = False) -> Prompt:
    query = select(Prompt).where(Prompt.name == name)
    if for_update:
        query = query.with_for_update()
    prompt = session.scalar(query)
    if prompt is None:
        raise NotFoundError(f"unknown prompt '{name}' (see `promptloop prompts list`)")
    return prompt


def list_prompts(session: Session) -> Sequence[Prompt]:
    return session.scalars(select(Prompt).order_by(Prompt.name)).all()
