"""Changing a prompt's settings (segment dimensions, insight thresholds) is an admin action.

``core.registry.settings.update_prompt_settings`` validates and audits the change; this wrapper is
what every shell (console, CLI) calls, so the role check cannot be skipped by calling from elsewhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.governance.roles import Action, Principal, require
from core.registry.settings import PromptSettings, update_prompt_settings


def change_prompt_settings(
    session: Session, *, actor: Principal, prompt_name: str, changes: dict[str, Any]
) -> PromptSettings:
    require(actor, Action.MANAGE_SETTINGS)
    return update_prompt_settings(session, prompt_name=prompt_name, changes=changes, actor=actor.actor)
