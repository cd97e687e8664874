"""`promptloop db ...`: the embedded cluster and migrations."""

from __future__ import annotations

import typer

from core.db.engine import check_server, embedded_server, make_engine, resolve_database_url
from core.db.migrate import current_revision, head_revision, upgrade
from flows.cli.context import echo_json, get

app = typer.Typer(help="Database: the embedded Postgres cluster and schema migrations.", no_args_is_help=True)


@app.command()
def start(ctx: typer.Context) -> None:
    """Start the embedded cluster under PROMPTLOOP_HOME (reused if already running)."""
    settings = get(ctx).settings
    if settings.database_url:
        typer.echo("PROMPTLOOP_DATABASE_URL is set: nothing to start, promptloop uses that server.")
        return
    embedded_server(settings).start()
    typer.echo(f"embedded Postgres running ({settings.home / 'pgdata'})")


@app.command()
def stop(ctx: typer.Context) -> None:
    """Stop the embedded cluster."""
    stopped = embedded_server(get(ctx).settings).stop()
    typer.echo("stopped" if stopped else "not running")


@app.command()
def status(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show where the database is and whether it is up and migrated."""
    settings = get(ctx).settings
    info: dict[str, object] = {"mode": "external" if settings.database_url else "embedded"}
    if not settings.database_url:
        st = embedded_server(settings).status()
        info |= {
            "running": st.running,
            "data_dir": str(st.data_dir),
            "port": st.port,
            "pid": st.pid,
            "postgres_version": st.version,
        }
    if settings.database_url or info.get("running"):
        engine = make_engine(resolve_database_url(settings))
        try:
            info["server_major_version"] = check_server(engine)
            info["schema_revision"] = current_revision(engine)
            info["schema_head"] = head_revision()
        finally:
            engine.dispose()
    if as_json:
        echo_json(info)
        return
    for key, value in info.items():
        typer.echo(f"{key}: {value}")


@app.command()
def url(ctx: typer.Context) -> None:
    """Print the database URL (starting the embedded cluster if needed)."""
    typer.echo(resolve_database_url(get(ctx).settings))


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Apply every pending schema migration."""
    cli = get(ctx)
    check_server(cli.engine)
    upgrade(resolve_database_url(cli.settings))
    typer.echo(f"schema at {current_revision(cli.engine)}")
