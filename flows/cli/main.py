"""The ``promptloop`` command: a thin shell over ``core``.

Each command parses its input, calls core inside one transaction, and prints the result. Expected
errors (``core.errors.PromptloopError`` and its kin) become one ``error: ...`` line on stderr and
exit status 1 — never a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

import click
import psycopg
import sqlalchemy.exc
import typer
from pydantic import ValidationError as SettingsError
from typer.core import TyperGroup

from core.config import Settings
from core.errors import PromptloopError
from flows.cli import changes, db, demo, flows, insights, notify, prompts, run, tracking, users
from flows.cli.context import CliContext


class _Root(TyperGroup):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PromptloopError as exc:
            typer.echo(f"error: {exc}", err=True)
            ctx.exit(1)
        except (sqlalchemy.exc.DBAPIError, psycopg.Error) as exc:
            message = _database_problem(exc)
            if message is None:
                raise
            typer.echo(f"error: {message}", err=True)
            ctx.exit(1)
        finally:
            obj = ctx.obj
            if isinstance(obj, CliContext):
                obj.close()


def _database_problem(exc: sqlalchemy.exc.DBAPIError | psycopg.Error) -> str | None:
    """One line for the database problems a user causes and can fix (no schema yet, no server);
    None for anything else, which stays a traceback: it is a bug to report."""
    original = exc.orig if isinstance(exc, sqlalchemy.exc.DBAPIError) else exc
    first_line = str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    if isinstance(original, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn):
        return f"the database has no promptloop schema, or an old one ({first_line}): run `promptloop db migrate`"
    if isinstance(original, psycopg.OperationalError) and not isinstance(original, psycopg.errors.QueryCanceled):
        return (
            f"cannot use the database ({first_line}): check PROMPTLOOP_DATABASE_URL, "
            "or `promptloop db status` for the local one"
        )
    return None


app = typer.Typer(
    cls=_Root,
    help="promptloop: prompts that improve themselves under human control.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(prompts.app, name="prompts")
app.add_typer(changes.app, name="changes")
app.add_typer(users.app, name="users")
app.add_typer(notify.app, name="notify")
app.add_typer(insights.insights_app, name="insights")
app.add_typer(insights.recommendations_app, name="recommendations")
app.add_typer(insights.reports_app, name="reports")
app.command("ingest")(tracking.ingest)
app.add_typer(tracking.rollups_app, name="rollups")
app.add_typer(flows.app, name="flows")
app.command("serve")(flows.serve_cmd)
app.command("console")(run.console_cmd)
app.command("demo")(run.demo_cmd)
app.command("seed-demo")(demo.seed_demo)


@app.callback()
def _root(
    ctx: typer.Context,
    user: str | None = typer.Option(None, "--user", help="Act as this user (default: PROMPTLOOP_USER)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress to stderr."),
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings()
    except SettingsError as exc:
        problems = "; ".join(
            f"PROMPTLOOP_{'_'.join(map(str, e['loc'])).upper()}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        typer.echo(f"error: invalid setting {problems}", err=True)
        raise typer.Exit(2) from exc
    ctx.obj = CliContext(settings=settings, user_override=user)


def run() -> None:
    """Console-script entry point."""
    app()
