"""The Alembic migrations are the schema's single source of truth and match the ORM models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import core.db.models  # noqa: F401
from core.db.base import Base
from core.db.engine import make_engine
from core.db.migrate import downgrade, head_revision, upgrade


def _schema_diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_empty_database_migrates_up_to_the_orm_models_and_back_down(empty_database_url: str) -> None:
    upgrade(empty_database_url)

    assert _schema_diff(empty_database_url) == []
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        engine.dispose()

    downgrade(empty_database_url, "base")

    engine = make_engine(empty_database_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        with engine.connect() as conn:
            functions = (
                conn.execute(text("SELECT proname FROM pg_proc WHERE proname LIKE :p"), {"p": "promptloop_%"})
                .scalars()
                .all()
            )
        assert functions == []
    finally:
        engine.dispose()

    # and up again: downgrade left nothing behind that would block a second upgrade
    upgrade(empty_database_url)
    assert _schema_diff(empty_database_url) == []


def test_every_migration_step_downgrades_cleanly(empty_database_url: str) -> None:
    """Walk the chain one step at a time so a broken downgrade in the middle is caught."""
    from alembic.script import ScriptDirectory

    from core.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config(empty_database_url))
    revisions = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        upgrade(empty_database_url, revision)
    for previous in [*reversed(revisions[:-1]), "base"]:
        downgrade(empty_database_url, previous)
    upgrade(empty_database_url)
    assert _schema_diff(empty_database_url) == []
