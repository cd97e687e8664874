"""The Alembic migrations are the schema's single source of truth and match the ORM models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

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


def test_section_set_hash_check_accepts_exactly_sixteen_lower_case_hex_digits(engine: Engine) -> None:
    """The check of migration 0006 refuses what the regex ``^[0-9a-f]{16}$`` refused, and nothing else."""
    insert = text(
        "INSERT INTO executions (client_id, prompt_id, version_id, section_ids, section_set_hash, prompt_tokens,"
        " latency_ms, occurred_at) VALUES (:id, 1, 1, '{}', :hash, 0, 0, now())"
    )
    refused = ["ABCDEF0123456789", "abcdef012345678", "abcdef01234567890", "abcdefg123456789",
               "abcdef01 3456789", "abcdef0123456789\n", ""]  # fmt: skip
    with engine.connect() as conn:
        conn.execute(insert, {"id": "ok", "hash": "0123456789abcdef"})
        for value in refused:
            savepoint = conn.begin_nested()
            with pytest.raises(DBAPIError):
                conn.execute(insert, {"id": f"bad-{value!r}", "hash": value})
            savepoint.rollback()
        assert conn.execute(text("SELECT section_set_hash FROM executions")).scalars().all() == ["0123456789abcdef"]
        conn.rollback()
