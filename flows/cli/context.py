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
from core.errors import PromptloopError

logger = logging.getLogger(__name__)


@dataclass
class CliContext:
    settings: Settings
    user_override: str | None = None
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def actor(self) -> str:
        """Who the command acts as: ``--user``, then ``PROMPTLOOP_USER``, then the OS account."""
        return self.user_override or self.settings.user or f"{getpass.getuser()}@localhost"

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
