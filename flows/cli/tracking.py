"""`promptloop ingest FILE` and `promptloop rollups refresh`: thin shells over core.tracking."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer

from core.errors import ValidationError
from core.tracking.files import FileFormat, ingest_file, write_rejects
from core.tracking.redaction import Redactor
from core.tracking.rollups import refresh_rollups
from flows.cli.context import echo_json, get

MAX_LISTED = 20

rollups_app = typer.Typer(help="Hourly rollups that analytics reads.", no_args_is_help=True)


def ingest(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="A .jsonl or .csv file."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Load the valid lines, report the others."),
    rejects: Path | None = typer.Option(None, "--rejects", help="With --skip-invalid: write the rejects here."),
    file_format: str | None = typer.Option(None, "--format", help="jsonl or csv (default: from the extension)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Record executions and outcomes from a JSONL or CSV file (see docs/ingest-format.md)."""
    if rejects is not None and not skip_invalid:
        raise ValidationError("--rejects needs --skip-invalid (without it, one bad line means nothing is loaded)")
    if file_format not in (None, "jsonl", "csv"):
        raise ValidationError(f"--format must be jsonl or csv, not '{file_format}'")
    chosen: FileFormat | None = file_format  # type: ignore[assignment]
    cli = get(ctx)
    with cli.session() as session:
        result = ingest_file(
            session,
            file,
            file_format=chosen,
            skip_invalid=skip_invalid,
            redactor=Redactor(cli.settings.redaction_patterns),
            bulk_threshold=cli.settings.ingest_bulk_threshold,
        )
    if rejects is not None:
        write_rejects(rejects, result.rejects)
    if as_json:
        data: dict[str, Any] = asdict(result) | {"accepted": result.accepted, "rejected": result.rejected}
        data["rejects"] = [{"line": r.position, "id": r.client_id, "reason": r.reason} for r in result.rejects]
        echo_json(data)
        return
    typer.echo(
        f"accepted {result.accepted} ({result.executions} executions, {result.outcomes} outcomes), "
        f"duplicates {result.duplicates}, rejected {result.rejected}"
    )
    if result.pending:
        typer.echo(f"{result.pending} outcome(s) wait for their execution; they attach when it arrives")
    for reject in result.rejects[:MAX_LISTED]:
        typer.echo(f"  {reject.describe()}", err=True)
    if result.rejected > MAX_LISTED:
        typer.echo(f"  ... and {result.rejected - MAX_LISTED} more", err=True)
    if rejects is not None:
        typer.echo(f"rejects written to {rejects}")


@rollups_app.command()
def refresh(
    ctx: typer.Context,
    full: bool = typer.Option(False, "--full", help="Rebuild every rollup instead of the changed cells."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Bring the hourly rollups up to date (safe to run concurrently)."""
    result = refresh_rollups(get(ctx).engine, full=full)
    if as_json:
        echo_json(asdict(result))
        return
    typer.echo(
        f"{result.mode} refresh: {result.rows_written} rollup rows written, "
        f"{result.changed_executions} changed executions, {len(result.rebuilt_prompts)} prompt(s) rebuilt "
        f"in {result.seconds:.2f}s"
    )
    for name, error in sorted(result.settings_errors.items()):
        typer.echo(f"warning: prompt '{name}' has invalid settings ({error}); kept its segment dimensions", err=True)
