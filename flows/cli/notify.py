"""`promptloop notify ...`: notification channels (admins) and delivering the outbox.

``channels list`` only reads; ``channels add|remove|test`` act as an admin (``--user``).
"""

from __future__ import annotations

from dataclasses import asdict

import typer

from core.governance.roles import Action, require
from core.notify.channels import add_channel, list_channels, remove_channel
from core.notify.deliver import deliver_pending
from core.notify.events import EVENT_TYPES, Event, notify
from flows.cli.context import echo_json, get

app = typer.Typer(help="Notifications: channels and delivery.", no_args_is_help=True)
channels = typer.Typer(help="Webhook and email channels.", no_args_is_help=True)
app.add_typer(channels, name="channels")


@channels.command("add")
def add_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Channel name, e.g. ops-webhook."),
    url: str | None = typer.Option(None, "--webhook", help="Webhook URL (JSON POST, HMAC-signed)."),
    to: list[str] | None = typer.Option(None, "--email", help="Email recipient (repeatable)."),
    secret: str | None = typer.Option(None, "--secret", help="Webhook signing secret (default: generated)."),
    events: list[str] | None = typer.Option(
        None, "--event", help=f"Only this event type (repeatable; default: all). One of: {', '.join(EVENT_TYPES)}"
    ),
) -> None:
    """Add a webhook (--webhook URL) or email (--email ADDRESS ...) channel."""
    if (url is None) == (not to):
        raise typer.BadParameter("give either --webhook URL or --email ADDRESS", param_hint="--webhook/--email")
    cli = get(ctx)
    with cli.session() as session:
        added = add_channel(
            session,
            actor=cli.principal(session),
            name=name,
            kind="webhook" if url else "email",
            url=url,
            to=to,
            secret=secret,
            events=events or (),
        )
    typer.echo(f"added {added.channel.kind} channel {name}")
    if added.secret is not None and secret is None:
        typer.echo(f"signing secret (shown once; give it to the receiver): {added.secret}")


@channels.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
    """List channels (secrets are never shown)."""
    with get(ctx).session() as session:
        rows = list_channels(session)
    if as_json:
        echo_json([asdict(row) for row in rows])
        return
    if not rows:
        typer.echo("no notification channels")
    for row in rows:
        target = row.config.get("url") or ", ".join(row.config.get("to", []))
        events = ", ".join(row.events) or "all events"
        typer.echo(f"{row.name}  {row.kind}  {target}  ({events}){'' if row.active else '  inactive'}")


@channels.command("remove")
def remove_cmd(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Remove a channel."""
    cli = get(ctx)
    with cli.session() as session:
        remove_channel(session, actor=cli.principal(session), name=name)
    typer.echo(f"removed channel {name}")


@channels.command("test")
def send_test_cmd(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Send a test event to one channel now and report the result."""
    cli = get(ctx)
    with cli.session() as session:
        actor = cli.principal(session)
        require(actor, Action.MANAGE_CHANNELS)
        notify(session, Event(type="test", title=f"Test from {actor.actor}", data={}), channel_names=[name])
    report = deliver_pending(cli.engine, settings=cli.settings)
    for outcome in report.outcomes:
        if outcome.channel == name and outcome.event_type == "test":
            if outcome.status == "delivered":
                typer.echo(f"delivered a test event to {name}")
                return
            typer.echo(f"error: channel {name}: {outcome.status}: {outcome.error}", err=True)
            raise typer.Exit(1)
    typer.echo(f"queued a test event for {name}; it will go out with the next delivery run")


@app.command("deliver")
def deliver_cmd(ctx: typer.Context) -> None:
    """Deliver pending notifications now (flows do this after their work)."""
    cli = get(ctx)
    report = deliver_pending(cli.engine, settings=cli.settings)
    typer.echo(f"delivered {report.delivered}, retrying {report.retrying}, failed {report.failed}")
