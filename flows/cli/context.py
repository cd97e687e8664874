"""What every command needs, built lazily: settings, the database URL, an engine, the acting user.

Nothing here connects or starts Postgres until a command asks for the engine, so ``--help`` and
commands that do not touch the database stay fast.
"""

from __future__ import annotations

import getpass
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import typer
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.engine import make_engine, resolve_database_url, transaction
from core.errors import PromptloopError, ValidationError
from core.governance.roles import Principal
from core.governance.rules import GovernanceRules
from core.governance.users import principal_for

logger = logging.getLogger(__name__)


@dataclass
class CliContext:
    settings: Settings
    user_override: str | None = None
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def actor(self) -> str:
        """The name recorded by registry writes (create, add-version): ``--user``, then
        ``PROMPTLOOP_USER``, then the OS account. Governed actions use :meth:`principal` instead."""
        return self.user_override or self.settings.user or f"{getpass.getuser()}@localhost"

    @property
    def user_email(self) -> str | None:
        """The user named by ``--user`` or ``PROMPTLOOP_USER`` (None: nobody named)."""
        return self.user_override or self.settings.user or None

    @property
    def rules(self) -> GovernanceRules:
        return GovernanceRules.from_settings(self.settings)

    def principal(self, session: Session) -> Principal:
        """The acting user for governed commands: must be an existing, active user."""
        email = self.user_email
        if email is None:
            raise PromptloopError(
                "this command acts as a user: pass --user EMAIL or set PROMPTLOOP_USER "
                "(an admin adds users with `promptloop users add`)"
            )
        return principal_for(session, email=email)

    def optional_principal(self, session: Session) -> Principal | None:
        """The acting user if one is named (``users add`` may run without one on an empty table)."""
        return self.principal(session) if self.user_email is not None else None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(resolve_database_url(self.settings))
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        with transaction(self.engine) as session:
            yield session

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def get(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliContext):  # pragma: no cover - set by the root callback
        raise PromptloopError("internal error: CLI context missing")
    return obj


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def parse_key_values(pairs: list[str]) -> dict[str, Any]:
    """``k=v`` pairs; a value is read as JSON when it parses (numbers, lists, true), else as text."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"expected key=value, got '{pair}'")
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    return params
