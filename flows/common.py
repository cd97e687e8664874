"""Tasks shared by the flows: thin wrappers over core with retries on I/O.

Flows build their ``Settings`` at the entrypoint (here, from the environment) and an engine per run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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


def _retry_unless_domain_error(_task: Any, _run: Any, state: Any) -> bool:
    """Retry I/O failures; a domain error (a refused proposal, a stale request) would fail again."""
    return not isinstance(state.result(raise_on_failure=False), PromptloopError)


def io_task(name: str) -> Any:
    """A task that touches the database: retried on I/O failure, never cached (its inputs hold an engine)."""
    return task(
        name=name,
        retries=IO_RETRIES,
        retry_delay_seconds=IO_RETRY_DELAY_S,
        retry_condition_fn=_retry_unless_domain_error,
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
