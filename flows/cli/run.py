"""`promptloop console` and `promptloop demo`: the long-running entry points."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import typer
from sqlalchemy import Engine

import console
from core.config import Settings
from core.db.engine import check_server, make_engine, resolve_database_url, transaction
from core.db.migrate import upgrade
from core.demo.seed import database_is_empty, seed_demo
from core.governance.demo import ensure_demo_users
from flows.cli.context import get
from flows.cli.flows import serve_cmd
from flows.runtime import configure_prefect

logger = logging.getLogger(__name__)

CONSOLE_APP = Path(console.__file__).resolve().parent / "app.py"


def _console_process(
    settings: Settings, database_url: str, port: int, address: str | None = None
) -> subprocess.Popen[bytes]:
    env = os.environ | {"PROMPTLOOP_DATABASE_URL": database_url, "PROMPTLOOP_HOME": str(settings.home)}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(CONSOLE_APP),
        "--server.port",
        str(port),
        "--server.address",
        address or settings.console_address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    return subprocess.Popen(command, env=env)


def _console_url(address: str, port: int) -> str:
    """Where to open the console: loopback and all-interfaces bindings are reached on localhost."""
    host = "localhost" if address in {"127.0.0.1", "::1", "localhost", "0.0.0.0", "::"} else address
    return f"http://{host}:{port}"


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
    address: str | None = typer.Option(
        None, "--address", help="Interface to listen on (default: PROMPTLOOP_CONSOLE_ADDRESS, 127.0.0.1)."
    ),
) -> None:
    """Start the operator console (Streamlit) and block until Ctrl-C."""
    settings = get(ctx).settings
    port = port or settings.console_port
    url = resolve_database_url(settings)
    process = _console_process(settings, url, port, address)
    typer.echo(f"console: {_console_url(address or settings.console_address, port)}")
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
    scale: float = typer.Option(1.0, "--scale", help="Demo traffic volume when seeding an empty database."),
) -> None:
    """The main job on one machine: database, migrations, demo data and users, flows, console and schedules."""
    cli = get(ctx)
    settings = cli.settings
    port = port or settings.console_port
    typer.echo("preparing the database…")
    url = prepare_database(settings)
    seeded = _seed_if_empty(cli.engine, scale=scale)
    with transaction(cli.engine) as session:
        accounts = ensure_demo_users(session)
    configure_prefect(settings)
    if seeded:
        typer.echo("running insight discovery and the optimization report once (Prefect, in-process)…")
        from flows.insight_discovery import insight_discovery
        from flows.optimization_report import optimization_report

        typer.echo(f"  insight-discovery: {insight_discovery()}")
        typer.echo(f"  optimization-report: {optimization_report()}")
    process = _console_process(settings, url, port)
    typer.echo(f"\npromptloop is running. Console: {_console_url(settings.console_address, port)}   (Ctrl-C to stop)")
    typer.echo("demo accounts (local login):")
    for email, password, role in accounts:
        typer.echo(f"  {role:<9} {email:<28} {password}")
    typer.echo("the LLM figures in the demo data come from a simulator, not from a real model\n")
    try:
        serve_cmd(ctx)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _seed_if_empty(engine: Engine, *, scale: float) -> bool:
    with transaction(engine) as session:
        empty = database_is_empty(session)
    if empty:
        typer.echo(f"empty database: seeding demo traffic (promptloop seed-demo --scale {scale})…")
        summary = seed_demo(engine, scale=scale, progress=lambda message: typer.echo(f"  {message}"))
        typer.echo(f"  {summary.executions} executions over {summary.days} days ({summary.start} to {summary.end})")
    return empty
