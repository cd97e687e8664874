"""Tasks shared by the flows: thin wrappers over core with retries on I/O.

Flows build their ``Settings`` at the entrypoint (here, from the environment) and an engine per run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import sqlalchemy.exc
from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Engine

from core.config import Settings
from core.db.engine import make_engine, resolve_database_url, transaction
from core.errors import PromptloopError
from core.registry.prompts import list_prompts
from core.tracking.rollups import RefreshResult, refresh_rollups

IO_RETRIES = 2
IO_RETRY_DELAY_S = 5


# What may pass if tried again: the connection or the server (a restart, a failover, a dropped socket,
# a statement timeout, a serialization failure or deadlock — psycopg files those under OperationalError).
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    ConnectionError,
    TimeoutError,
)


def is_transient(error: BaseException | None) -> bool:
    """True for an I/O failure worth retrying; a domain error (a refused proposal, a stale request),
    invalid settings or a bug would only fail again, later."""
    return isinstance(error, TRANSIENT_ERRORS) and not isinstance(error, PromptloopError)


def _retry_if_transient(_task: Any, _run: Any, state: Any) -> bool:
    result = state.result(raise_on_failure=False)
    return is_transient(result if isinstance(result, BaseException) else None)


def io_task(name: str) -> Any:
    """A task that touches the database: retried on I/O failure, never cached (its inputs hold an engine)."""
    return task(
        name=name,
        retries=IO_RETRIES,
        retry_delay_seconds=IO_RETRY_DELAY_S,
        retry_condition_fn=_retry_if_transient,
        cache_policy=NO_CACHE,
    )


def engine_for(settings: Settings) -> Engine:
    return make_engine(resolve_database_url(settings))


def resolve_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


@io_task("refresh-rollups")
def refresh_rollups_task(engine: Engine) -> RefreshResult:
    return refresh_rollups(engine)


@io_task("list-prompts")
def prompt_names(engine: Engine, only: list[str] | None = None) -> list[str]:
    with transaction(engine) as session:
        names = [p.name for p in list_prompts(session)]
    if only:
        unknown = sorted(set(only) - set(names))
        if unknown:
            raise ValueError(f"unknown prompts: {', '.join(unknown)}")
        names = [n for n in names if n in only]
    return names
