"""`promptloop changes ...`: review change requests — list, show, approve, reject, comment, apply-due.

``list`` and ``show`` only read and run without an acting user; the others act as
``--user``/``PROMPTLOOP_USER`` with that user's role and the same checks as the console.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import typer

from core.governance.apply import ApplyResult
from core.governance.changes import Proposal
from core.governance.decisions import add_comment, apply_due, approve, reject
from core.governance.queries import ChangeRequestDetail, ChangeRequestView, get_change_request, list_change_requests
from flows.cli.context import echo_json, get

app = typer.Typer(help="Change requests: review, approve, reject, comment.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON instead of text.")
_KIND_LABELS = {"promote_version": "promote", "policy_change": "policy", "rollback": "rollback"}


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "-"


def _line(v: ChangeRequestView) -> str:
    change = f"{v.prompt} {v.label or ''} {v.base_version or '∅'} → {v.target_version}" if v.label else v.prompt
    return (
        f"#{v.id}  {v.status:<10} {_KIND_LABELS.get(v.kind, v.kind):<8} {change}  "
        f"by {v.requested_by} {_when(v.created_at)}: {v.reason}"
    )


def echo_apply_result(result: ApplyResult | None, *, request_id: int) -> bool:
    """Print what apply did; False when the change was not made (stale or failed)."""
    if result is None:
        typer.echo(f"change request #{request_id} is approved and waits for its apply window (`changes apply-due`)")
        return True
    if result.status == "applied":
        typer.echo(f"applied change request #{request_id}: {result.detail}")
        return True
    if result.status == "error":
        typer.echo(f"error: change request #{request_id} was not applied: {result.detail}", err=True)
        return False
    typer.echo(f"error: change request #{request_id} is {result.status}: {result.detail}", err=True)
    return False


def echo_proposal(proposal: Proposal) -> bool:
    """Print a new (or already open) change request; False when an immediate apply did not happen."""
    request = proposal.request
    for old in proposal.superseded:
        typer.echo(f"superseded change request #{old}")
    if not proposal.created:
        typer.echo(f"change request #{request.id} for this change is already open ({request.status})")
        return True
    typer.echo(f"opened change request {request.title()}")
    if proposal.applied is not None or request.status == "approved":
        return echo_apply_result(proposal.applied, request_id=request.id)
    typer.echo(f"another operator approves it with `promptloop changes approve {request.id}`")
    return True


@app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: list[str] | None = typer.Option(None, "--status", "-s", help="Only this status (repeatable)."),
    prompt: str | None = typer.Option(None, "--prompt", "-p", help="Only this prompt."),
    kind: str | None = typer.Option(None, "--kind", help="Only this kind."),
    limit: int = typer.Option(50, "--limit"),
    as_json: bool = JSON,
) -> None:
    """List change requests, newest first."""
    with get(ctx).session() as session:
        rows = list_change_requests(session, status=status or None, prompt_name=prompt, kind=kind, limit=limit)
    if as_json:
        echo_json([row.summary_dict() for row in rows])
        return
    if not rows:
        typer.echo("no change requests")
    for row in rows:
        typer.echo(_line(row))


@app.command()
def show(ctx: typer.Context, request_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """Show one change request: evidence, diff, comments and history."""
    with get(ctx).session() as session:
        detail = get_change_request(session, request_id=request_id)
    if as_json:
        echo_json(detail.to_dict())
        return
    for line in _detail_lines(detail):
        typer.echo(line)


def _detail_lines(detail: ChangeRequestDetail) -> list[str]:
    v = detail.request
    lines = [v.title(), f"status: {v.status}" + (f" — {v.status_detail}" if v.status_detail else "")]
    lines.append(f"requested by {v.requested_by} ({v.requester_kind}) at {_when(v.created_at)}: {v.reason}")
    if v.apply_after is not None:
        lines.append(f"apply after: {_when(v.apply_after)}")
    if v.decided_by:
        auto = " (auto-apply policy)" if v.auto_approved else ""
        lines.append(f"decided by {v.decided_by}{auto} at {_when(v.decided_at)}")
    if v.applied_by:
        lines.append(f"applied by {v.applied_by} at {_when(v.applied_at)}")
    lines += _evidence_lines(v.evidence)
    if detail.comments:
        lines += ["", "comments:"] + [f"  {_when(c.created_at)} {c.author}: {c.body}" for c in detail.comments]
    lines += ["", "history:"] + [f"  {_when(h.occurred_at)} {h.actor}: {h.action}" for h in detail.history]
    return lines


def _evidence_lines(evidence: dict[str, Any]) -> list[str]:
    lines = [""]
    if evidence.get("summary"):
        lines.append(f"evidence: {evidence['summary']}")
    for figure in evidence.get("figures", []):
        interval = ""
        if figure.get("lower") is not None and figure.get("upper") is not None:
            level = f" {figure['level']:.0%}" if figure.get("level") else ""
            interval = f" [{figure['lower']:.4g}, {figure['upper']:.4g}]{level}"
        n = f" n={figure['n']}" if figure.get("n") is not None else ""
        lines.append(f"  {figure['name']}: {figure['estimate']:.4g}{interval}{n} {figure.get('unit', '')}".rstrip())
    if stats := evidence.get("stats"):
        lines.append(f"  smallest group {stats['min_group_size']}, confidence {stats['confidence']:.2f}")
    links = {k: v for k, v in (evidence.get("links") or {}).items() if v}
    if links:
        lines.append("  links: " + "; ".join(f"{k} {', '.join(map(str, v))}" for k, v in links.items()))
    guardrails = {k: v for k, v in (evidence.get("guardrails") or {}).items() if v}
    if guardrails:
        lines.append("  guardrail sections: " + "; ".join(f"{k} {', '.join(v)}" for k, v in guardrails.items()))
    if diff := evidence.get("diff"):
        lines += ["", "diff:"] + [f"  {line}" for line in diff.get("summary", [])] + ["", diff.get("unified", "")]
    return lines


@app.command("approve")
def approve_cmd(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., metavar="ID"),
    comment: str | None = typer.Option(None, "--comment", "-c", help="Why (kept with the request)."),
) -> None:
    """Approve a pending request; it is applied at once when its apply window has come."""
    cli = get(ctx)
    with cli.session() as session:
        decision = approve(
            session, actor=cli.principal(session), rules=cli.rules, request_id=request_id, comment=comment
        )
    typer.echo(f"approved change request #{request_id}")
    if not echo_apply_result(decision.applied, request_id=request_id):
        raise typer.Exit(1)


@app.command("reject")
def reject_cmd(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., metavar="ID"),
    comment: str = typer.Option(..., "--comment", "-c", help="Why it is rejected (required)."),
) -> None:
    """Reject a pending request."""
    cli = get(ctx)
    with cli.session() as session:
        reject(session, actor=cli.principal(session), request_id=request_id, comment=comment)
    typer.echo(f"rejected change request #{request_id}")


@app.command("comment")
def comment_cmd(
    ctx: typer.Context,
    request_id: int = typer.Argument(..., metavar="ID"),
    text: str = typer.Option(..., "--text", "-t", help="The comment."),
) -> None:
    """Comment on a change request."""
    cli = get(ctx)
    with cli.session() as session:
        add_comment(session, actor=cli.principal(session), request_id=request_id, text=text)
    typer.echo(f"commented on change request #{request_id}")


@app.command("apply-due")
def apply_due_cmd(ctx: typer.Context) -> None:
    """Apply every approved request whose apply window has come (the policy-update flow does this daily)."""
    cli = get(ctx)
    with cli.session() as session:
        actor = cli.principal(session)
    results = apply_due(cli.engine, actor=actor, now=datetime.now(UTC))
    if not results:
        typer.echo("nothing is due")
    printed = [echo_apply_result(r, request_id=r.request_id) for r in results if r.status != "skipped"]
    if not all(printed):
        raise typer.Exit(1)
