"""Engine and session helpers.

Persistence functions in ``core`` take an explicit ``Session`` (keyword-only); the caller — a CLI
command, a console page, a flow task, an endpoint — owns the transaction, usually through
:func:`transaction`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.config import Settings
from core.db.embedded import EmbeddedPostgres
from core.errors import PromptloopError

logger = logging.getLogger(__name__)

MIN_SERVER_VERSION = 14


class DatabaseError(PromptloopError):
    """The database is unreachable or unsuitable."""


def normalize_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseError(f"only Postgres is supported, got a {parsed.get_backend_name()} URL")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def psycopg_conninfo(url: str, *, database: str | None = None) -> str:
    """A libpq connection string for ``url`` (raw psycopg: COPY, CREATE DATABASE); ``database`` overrides."""
    import psycopg

    parsed = make_url(url)
    return psycopg.conninfo.make_conninfo(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password or "",
        dbname=database or parsed.database or "postgres",
    )


def embedded_server(settings: Settings) -> EmbeddedPostgres:
    return EmbeddedPostgres(
        settings.home, version=settings.embedded_postgres_version, database=settings.embedded_database
    )


def resolve_database_url(settings: Settings) -> str:
    """The configured URL, or the embedded cluster's (started on demand)."""
    if settings.database_url:
        return normalize_url(settings.database_url)
    return embedded_server(settings).start()


def make_engine(url: str, **kwargs: object) -> Engine:
    return create_engine(normalize_url(url), pool_pre_ping=True, **kwargs)


def check_server(engine: Engine) -> int:
    """Connect once and return the server's major version; refuse anything older than 14."""
    try:
        with engine.connect() as conn:
            version_num = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    except Exception as exc:
        raise DatabaseError(f"cannot connect to Postgres at {engine.url!r}: {exc}") from exc
    major = version_num // 10000
    if major < MIN_SERVER_VERSION:
        raise DatabaseError(f"Postgres {major} is too old; promptloop needs Postgres >= {MIN_SERVER_VERSION}")
    return major


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One session in one transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
