"""A scratch database for benchmarks: created, migrated, and dropped afterwards.

On ``PROMPTLOOP_BENCH_DATABASE_URL`` (any database on the server; a new one is created next to it)
or, when unset, on an embedded cluster started in a temporary directory with durable settings
(``ephemeral=False``: fsync on, as in production) and destroyed at the end.
"""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from core.db.embedded import EmbeddedPostgres
from core.db.engine import psycopg_conninfo
from core.db.migrate import upgrade

log = logging.getLogger("bench.db")


def _admin(url: str) -> str:
    return psycopg_conninfo(url, database="postgres")


@contextmanager
def scratch_database(purpose: str) -> Iterator[str]:
    """Yield the SQLAlchemy URL of a fresh, migrated database; drop it (and any temp cluster) after."""
    external = os.environ.get("PROMPTLOOP_BENCH_DATABASE_URL")
    server: EmbeddedPostgres | None = None
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if external:
        server_url = external
    else:
        tmp = tempfile.TemporaryDirectory(prefix="pl_bench_")
        server = EmbeddedPostgres(Path(tmp.name), database="postgres", ephemeral=False)
        log.info("starting a bench cluster in %s", tmp.name)
        server_url = server.start()
    name = f"pl_bench_{purpose}_{uuid.uuid4().hex[:8]}"
    url = make_url(server_url).set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False)
    try:
        with psycopg.connect(_admin(server_url), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(_admin(server_url), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if server is not None:
            server.destroy()
        if tmp is not None:
            tmp.cleanup()
