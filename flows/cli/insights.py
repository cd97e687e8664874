"""`promptloop insights|recommendations|reports ...`: read and act on what the scheduled flows found.

Listing and showing only read. Acting (ack, resolve, dismiss, accept, reject) needs an operator or
admin (``--user`` / ``PROMPTLOOP_USER``, checked in ``core.governance.review``) and is audited.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from core.governance.review import InsightAction, decide_recommendation, review_insight
from core.insights.lifecycle import InsightView, get_insight, list_insights
from core.recommend.report import get_report, list_reports
from core.recommend.store import RecommendationView, get_recommendation, list_recommendations
from flows.cli.context import echo_json, get

insights_app = typer.Typer(help="Insights found by the hourly discovery: list, show, ack, resolve, dismiss.")
recommendations_app = typer.Typer(help="Weekly recommendations: list, show, accept, reject.")
reports_app = typer.Typer(help="Weekly optimization reports: list, show, download.")

JSON = typer.Option(False, "--json", help="Print JSON instead of text.")
NOTE = typer.Option("", "--note", "-n", help="Why (kept with the decision and in the audit log).")


def _insight_line(v: InsightView) -> str:
    return f"#{v.id:<4} {v.priority:<8} {v.status:<12} {v.category:<11} {v.prompt}: {v.title}"


def _rec_line(v: RecommendationView) -> str:
    q = f" q={v.q_value:.3g}" if v.q_value is not None else ""
    flag = " [observational]" if v.observational else ""
    return f"#{v.id:<4} {v.status:<10} {v.kind:<19} {v.prompt}: {v.title}{q}{flag}"


# --- insights -------------------------------------------------------------------------------------


@insights_app.command("list")
def insights_list(
    ctx: typer.Context,
    prompt: str | None = typer.Option(None, "--prompt", "-p", help="Only this prompt."),
    status: list[str] | None = typer.Option(None, "--status", "-s", help="open, acknowledged, resolved, dismissed."),
    priority: list[str] | None = typer.Option(None, "--priority", help="critical, high, medium, low."),
    category: list[str] | None = typer.Option(None, "--category", "-c", help="accuracy, regression, anomaly, ..."),
    limit: int = typer.Option(200, "--limit"),
    as_json: bool = JSON,
) -> None:
    """List insights, most urgent first."""
    with get(ctx).session() as session:
        rows = list_insights(
            session, prompt=prompt, status=status or None, priority=priority or None, category=category or None,
            limit=limit,
        )  # fmt: skip
    if as_json:
        echo_json([row.to_dict() for row in rows])
        return
    if not rows:
        typer.echo("no insights")
    for row in rows:
        typer.echo(_insight_line(row))


@insights_app.command("show")
def insights_show(
    ctx: typer.Context, insight_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JSON
) -> None:
    """Show one insight with its evidence and action items."""
    with get(ctx).session() as session:
        view = get_insight(session, insight_id=insight_id)
    if as_json:
        echo_json(view.to_dict())
        return
    typer.echo(_insight_line(view))
    typer.echo(view.description)
    for item in view.action_items:
        typer.echo(f"  - {item}")
    if view.status_by:
        note = f": {view.status_note}" if view.status_note else ""
        typer.echo(f"{view.status} by {view.status_by} at {view.status_at:%Y-%m-%d %H:%M}{note}")


def _act_insight(ctx: typer.Context, action: str, insight_id: int, note: str) -> None:
    cli = get(ctx)
    verbs: dict[str, InsightAction] = {"ack": "acknowledge", "resolve": "resolve", "dismiss": "dismiss"}
    with cli.session() as session:
        view = review_insight(
            session, actor=cli.principal(session), insight_id=insight_id, action=verbs[action], note=note
        )
    typer.echo(f"insight #{view.id} is {view.status}")


@insights_app.command("ack")
def insights_ack(ctx: typer.Context, insight_id: int = typer.Argument(..., metavar="ID"), note: str = NOTE) -> None:
    """Acknowledge an open insight (someone is on it)."""
    _act_insight(ctx, "ack", insight_id, note)


@insights_app.command("resolve")
def insights_resolve(ctx: typer.Context, insight_id: int = typer.Argument(..., metavar="ID"), note: str = NOTE) -> None:
    """Resolve an insight (fixed). It reopens if the next discovery still finds the condition."""
    _act_insight(ctx, "resolve", insight_id, note)


@insights_app.command("dismiss")
def insights_dismiss(
    ctx: typer.Context,
    insight_id: int = typer.Argument(..., metavar="ID"),
    note: str = typer.Option(..., "--note", "-n", help="Why it is dismissed (required)."),
) -> None:
    """Dismiss an insight: it stays silent while the same condition persists."""
    _act_insight(ctx, "dismiss", insight_id, note)


# --- recommendations ------------------------------------------------------------------------------


@recommendations_app.command("list")
def recommendations_list(
    ctx: typer.Context,
    prompt: str | None = typer.Option(None, "--prompt", "-p", help="Only this prompt."),
    status: list[str] | None = typer.Option(None, "--status", "-s", help="new, accepted, rejected, superseded."),
    limit: int = typer.Option(200, "--limit"),
    as_json: bool = JSON,
) -> None:
    """List recommendations, newest first."""
    with get(ctx).session() as session:
        rows = list_recommendations(session, prompt=prompt, status=status or None, limit=limit)
    if as_json:
        echo_json([row.to_dict() for row in rows])
        return
    if not rows:
        typer.echo("no recommendations")
    for row in rows:
        typer.echo(_rec_line(row))


@recommendations_app.command("show")
def recommendations_show(
    ctx: typer.Context, recommendation_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JSON
) -> None:
    """Show one recommendation with its evidence."""
    with get(ctx).session() as session:
        view = get_recommendation(session, recommendation_id=recommendation_id)
    if as_json:
        echo_json(view.to_dict())
        return
    typer.echo(_rec_line(view))
    typer.echo(f"on {view.prompt} {view.base_version} (report #{view.report_id})")
    typer.echo(view.rationale)
    if view.decided_by:
        typer.echo(f"{view.status} by {view.decided_by} at {view.decided_at:%Y-%m-%d %H:%M}: {view.decision_note}")
    if view.status_detail:
        typer.echo(view.status_detail)


@recommendations_app.command("accept")
def recommendations_accept(
    ctx: typer.Context, recommendation_id: int = typer.Argument(..., metavar="ID"), note: str = NOTE
) -> None:
    """Accept a new recommendation (a change request can then be opened from it)."""
    cli = get(ctx)
    with cli.session() as session:
        view = decide_recommendation(
            session, actor=cli.principal(session), recommendation_id=recommendation_id, decision="accept", note=note
        )
    typer.echo(f"recommendation #{view.id} is accepted")


@recommendations_app.command("reject")
def recommendations_reject(
    ctx: typer.Context,
    recommendation_id: int = typer.Argument(..., metavar="ID"),
    note: str = typer.Option(..., "--note", "-n", help="Why it is rejected (required)."),
) -> None:
    """Reject a new recommendation."""
    cli = get(ctx)
    with cli.session() as session:
        view = decide_recommendation(
            session, actor=cli.principal(session), recommendation_id=recommendation_id, decision="reject", note=note
        )
    typer.echo(f"recommendation #{view.id} is rejected")


# --- reports --------------------------------------------------------------------------------------


@reports_app.command("list")
def reports_list(ctx: typer.Context, limit: int = typer.Option(50, "--limit"), as_json: bool = JSON) -> None:
    """List the stored weekly reports, newest first."""
    with get(ctx).session() as session:
        rows = list_reports(session, limit=limit)
    if as_json:
        echo_json([row.to_dict() for row in rows])
        return
    if not rows:
        typer.echo("no reports")
    for r in rows:
        errors = f", {len(r.errors)} errors" if r.errors else ""
        typer.echo(
            f"#{r.id:<4} {r.period_start:%Y-%m-%d} → {r.period_end:%Y-%m-%d}  "
            f"{r.prompts} prompts, {r.recommendations} recommendations{errors}"
        )


@reports_app.command("show")
def reports_show(
    ctx: typer.Context,
    report_id: int = typer.Argument(..., metavar="ID"),
    fmt: str = typer.Option("md", "--format", "-f", help="md or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
) -> None:
    """Print (or download with --output) one report as Markdown or JSON."""
    if fmt not in ("md", "json"):
        raise typer.BadParameter("choose md or json", param_hint="--format")
    with get(ctx).session() as session:
        report = get_report(session, report_id=report_id)
    if fmt == "json":
        body = json.dumps({**report.summary.to_dict(), "content": report.content}, indent=2, ensure_ascii=False)
    else:
        body = report.markdown
    if output is None:
        typer.echo(body.rstrip("\n"))
        return
    output.write_text(body if body.endswith("\n") else body + "\n", encoding="utf-8")
    typer.echo(f"wrote report #{report_id} to {output}")
