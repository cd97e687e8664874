"""The embedded cluster: started on demand, reused, and never started twice at once."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from core.db.embedded import EmbeddedPostgres
from flows.cli.main import app

pytestmark = pytest.mark.slow


def _start(home: str, queue: multiprocessing.Queue[str]) -> None:
    queue.put(EmbeddedPostgres(Path(home), ephemeral=True).start())


def test_two_processes_starting_at_once_share_one_cluster(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ctx = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[str] = ctx.Queue()
    procs = [ctx.Process(target=_start, args=(str(home), queue)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    server = EmbeddedPostgres(home, ephemeral=True)
    try:
        assert all(p.exitcode == 0 for p in procs)
        urls = {queue.get(timeout=5), queue.get(timeout=5)}
        assert len(urls) == 1  # same port, same password: one cluster
        status = server.status()
        assert status.running
        assert status.pid is not None
        with psycopg.connect(server.url().replace("postgresql+psycopg", "postgresql")) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("promptloop",)
        state = json.loads((home / "postgres.json").read_text())
        assert (home / "postgres.json").stat().st_mode & 0o077 == 0  # the password file is private
        assert state["port"] == status.port
        # a second start reuses the running server
        assert server.start() in urls
        assert server.status().pid == status.pid
    finally:
        server.destroy()
    assert not home.exists()


def test_db_commands(tmp_path: Path) -> None:
    env = {"PROMPTLOOP_HOME": str(tmp_path / "home"), "PROMPTLOOP_DATABASE_URL": ""}
    runner = CliRunner(env=env)
    try:
        assert runner.invoke(app, ["db", "status", "--json"]).exit_code == 0
        result = runner.invoke(app, ["db", "migrate"])
        assert result.exit_code == 0, result.output
        assert "schema at" in result.output
        status = json.loads(runner.invoke(app, ["db", "status", "--json"]).output)
        assert status["running"] is True
        assert status["schema_revision"] == status["schema_head"]
        assert status["server_major_version"] >= 14
        url = runner.invoke(app, ["db", "url"]).output.strip()
        assert url.startswith("postgresql+psycopg://postgres:")
        assert runner.invoke(app, ["db", "stop"]).output.strip() == "stopped"
        assert json.loads(runner.invoke(app, ["db", "status", "--json"]).output)["running"] is False
    finally:
        EmbeddedPostgres(tmp_path / "home").destroy()
