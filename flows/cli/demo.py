"""`promptloop seed-demo`: fill an empty database with the demo scenario (core/demo/PLANTED.md)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import typer

from core.db.migrate import current_revision, head_revision
from core.demo import seed as demo_seed
from core.demo.seed import SeedSummary
from core.errors import ValidationError
from flows.cli.context import echo_json, get


def _parse_end(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)", param_hint="--end") from None


def seed_demo(
    ctx: typer.Context,
    days: int = typer.Option(30, "--days", help="Days of traffic (21-56)."),
    scale: float = typer.Option(1.0, "--scale", help="Volume multiplier: 1.0 is ~126k executions over 30 days."),
    seed: int = typer.Option(7, "--seed", help="Random seed: the same seed and --end give identical records."),
    end: str | None = typer.Option(
        None, "--end", help="Traffic ends at midnight UTC starting this date, YYYY-MM-DD (default: today)."
    ),
    force: bool = typer.Option(False, "--force", help="Seed even if the database already holds prompts or data."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Seed realistic demo traffic with planted conditions (see core/demo/PLANTED.md)."""
    end_date = _parse_end(end)
    cli = get(ctx)
    if current_revision(cli.engine) != head_revision():
        raise ValidationError("the database schema is not up to date: run `promptloop db migrate` first")
    summary = demo_seed.seed_demo(
        cli.engine, days=days, scale=scale, seed=seed, end=end_date, force=force, actor=cli.actor,
        progress=lambda message: typer.echo(f"… {message}", err=True),
    )  # fmt: skip
    if as_json:
        echo_json(asdict(summary) | {"executions": summary.executions, "outcomes": summary.outcomes})
        return
    _print(summary)


def _print(summary: SeedSummary) -> None:
    last = summary.end.toordinal() - 1
    typer.echo(
        f"seeded {summary.days} days ({summary.start} to {date.fromordinal(last)}), scale {summary.scale}, "
        f"seed {summary.seed} (record ids demo-{summary.run_tag}-*)"
    )
    columns = ("versions", 9), ("moves", 7), ("executions", 12), ("outcomes", 10), ("corrections", 13), ("failures", 10)
    typer.echo(f"{'prompt':<22}" + "".join(f"{name:>{width}}" for name, width in columns))
    for p in summary.prompts:
        note = "  (existing prompt kept)" if p.registry == "existing" else ""
        typer.echo(
            f"{p.prompt:<22}{p.versions:>9}{p.label_moves:>7}{p.executions:>12,}{p.outcomes:>10,}"
            f"{p.corrections:>13,}{p.failures:>10,}{note}"
        )
    typer.echo(
        f"stored {summary.stored_executions:,} executions and {summary.stored_outcomes:,} outcomes"
        f" ({summary.duplicates:,} already present); {summary.rollup_rows:,} rollup rows;"
        f" {summary.seconds.get('total', 0.0):.1f} s"
    )
    typer.echo("planted conditions and their sizes: core/demo/PLANTED.md")
