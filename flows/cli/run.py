"""`promptloop console` and `promptloop demo`: the long-running entry points."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import typer

import console
from core.config import Settings
from core.db.engine import check_server, make_engine, resolve_database_url
from core.db.migrate import upgrade
from flows.cli.context import get

logger = logging.getLogger(__name__)

CONSOLE_APP = Path(console.__file__).resolve().parent / "app.py"


def _console_process(settings: Settings, database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"PROMPTLOOP_DATABASE_URL": database_url, "PROMPTLOOP_HOME": str(settings.home)}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(CONSOLE_APP),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    return subprocess.Popen(command, env=env)


def _wait(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait()
    except KeyboardInterrupt:
        typer.echo("\nstopping…")
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def console_cmd(
    ctx: typer.Context,
    port: int | None = typer.Option(None, "--port", help="Port (default: PROMPTLOOP_CONSOLE_PORT or 8501)."),
) -> None:
    """Start the operator console (Streamlit) and block until Ctrl-C."""
    settings = get(ctx).settings
    port = port or settings.console_port
    url = resolve_database_url(settings)
    process = _console_process(settings, url, port)
    typer.echo(f"console: http://localhost:{port}")
    _wait(process)


def prepare_database(settings: Settings) -> str:
    """Start (embedded) Postgres if needed, check it and apply migrations; return its URL."""
    url = resolve_database_url(settings)
    engine = make_engine(url)
    try:
        check_server(engine)
    finally:
        engine.dispose()
    upgrade(url)
    return url


def demo_cmd(
    ctx: typer.Context,
    port: int | None = typer.Option(None, "--port", help="Console port (default 8501)."),
) -> None:
    """The main job on one machine: database, migrations, demo data if empty, console and schedules."""
    cli = get(ctx)
    settings = cli.settings
    port = port or settings.console_port
    typer.echo("preparing the database…")
    url = prepare_database(settings)
    _seed_if_empty(cli.engine)
    process = _console_process(settings, url, port)
    typer.echo(f"\npromptloop is running. Console: http://localhost:{port}   (Ctrl-C to stop)\n")
    _wait(process)


def _seed_if_empty(engine: object) -> None:
    try:
        from core.demo.seed import database_is_empty, seed_demo
    except ImportError:  # the demo module lands with the tracking issue
        return
    from core.db.engine import transaction

    with transaction(engine) as session:  # type: ignore[arg-type]
        empty = database_is_empty(session)
    if empty:
        typer.echo("seeding demo data (promptloop seed-demo)…")
        seed_demo(engine)
