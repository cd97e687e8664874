"""`promptloop serve` and `promptloop flows ...`: Prefect is imported only inside these commands."""

from __future__ import annotations

import logging

import typer

from core.errors import ValidationError
from flows.cli.context import echo_json, get, parse_key_values
from flows.runtime import configure_prefect
from flows.schedules import CATALOGUE, DEPLOYMENT, find

logger = logging.getLogger(__name__)

app = typer.Typer(help="Run, trigger and list the scheduled flows.", no_args_is_help=True)


def serve_cmd(ctx: typer.Context) -> None:
    """Serve every schedule from this process (blocks until Ctrl-C; schedules stay active after)."""
    settings = get(ctx).settings
    configure_prefect(settings)
    from prefect import serve
    from prefect.schedules import Cron

    deployments = [
        flow.load().to_deployment(
            DEPLOYMENT,
            schedules=[Cron(flow.cron, timezone=settings.timezone)],
            description=flow.description,
            tags=["promptloop"],
        )
        for flow in CATALOGUE
    ]
    typer.echo("serving: " + ", ".join(f"{f.name} ({f.cron}, {settings.timezone})" for f in CATALOGUE))
    # pause_on_shutdown=False: stopping the server process must not pause the schedules.
    serve(*deployments, pause_on_shutdown=False, print_starting_message=False)


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    """The scheduled flows and their schedules."""
    rows = [{"name": f.name, "cron": f.cron, "description": f.description} for f in CATALOGUE]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        typer.echo(f"{row['name']:<22} {row['cron']:<12} {row['description']}")


@app.command()
def run(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Flow name, e.g. insight-discovery."),
    param: list[str] = typer.Option([], "--param", "-p", help="key=value (repeatable)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run a flow in this process and print its summary."""
    flow = find(name)
    params = parse_key_values(param)
    configure_prefect(get(ctx).settings)
    summary = flow.load()(**params)
    if as_json:
        echo_json(summary)
        return
    typer.echo(f"{flow.name}: completed")
    for key, value in (summary or {}).items():
        typer.echo(f"  {key}: {value}")


@app.command()
def trigger(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Flow name, e.g. optimization-report."),
    param: list[str] = typer.Option([], "--param", "-p", help="key=value (repeatable)."),
) -> None:
    """Submit a run to the served deployment (see `promptloop serve`) and print its id."""
    flow = find(name)
    params = parse_key_values(param)
    configure_prefect(get(ctx).settings)
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    try:
        # _sync: this command is synchronous whatever the caller's thread holds (an event loop left current
        # by other code would make Prefect hand back a coroutine instead of the run).
        flow_run = run_deployment(f"{flow.name}/{DEPLOYMENT}", parameters=params, timeout=0, _sync=True)
    except ObjectNotFound:
        raise ValidationError(
            f"no deployment '{flow.name}/{DEPLOYMENT}': start `promptloop serve` (or `make demo`) first"
        ) from None
    typer.echo(str(flow_run.id))
