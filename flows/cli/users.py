"""`promptloop users ...`: local accounts and their roles.

``users add`` on an empty user table needs no acting user and creates an admin (whatever --role
says); afterwards it, ``set-role`` and ``set-active`` act as ``--user``/``PROMPTLOOP_USER``, who must be
an admin. ``users list`` only reads and runs without a user.
"""

from __future__ import annotations

import sys
from dataclasses import asdict

import typer

from core.governance.users import add_user, has_users, list_users, set_active, set_role
from flows.cli.context import echo_json, get

app = typer.Typer(help="Users and roles (viewer, operator, admin).", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON instead of text.")
ROLE_HELP = "viewer (read), operator (propose, approve, roll back) or admin (also users and settings)."


def _read_password(password_stdin: bool, no_password: bool) -> str | None:
    if no_password:
        return None
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command()
def add(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="The user's email (their login)."),
    role: str = typer.Option(..., "--role", "-r", help=ROLE_HELP),
    name: str = typer.Option("", "--name", help="Display name."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
    no_password: bool = typer.Option(False, "--no-password", help="No password: the user logs in through OIDC."),
) -> None:
    """Add a user (prompts for a password unless --password-stdin or --no-password)."""
    cli = get(ctx)
    password = _read_password(password_stdin, no_password)
    with cli.session() as session:
        actor = cli.principal(session) if has_users(session) else None
        added = add_user(session, actor=actor, email=email, role=role, display_name=name, password=password)
    user = added.user
    typer.echo(f"added {user.email} as {user.role}")
    if added.bootstrap_admin:
        typer.echo("this is the first user, so it is an admin: act as it with --user or PROMPTLOOP_USER")


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List users and their roles (read-only: needs no acting user)."""
    with get(ctx).session() as session:
        users = list_users(session)
    if as_json:
        echo_json([asdict(u) for u in users])
        return
    if not users:
        typer.echo("no users yet: `promptloop users add EMAIL --role admin`")
    for u in users:
        flags = ("" if u.active else "  (deactivated)") + ("" if u.has_password else "  (no password: OIDC)")
        typer.echo(f"{u.email}  {u.role}  {u.display_name}{flags}")


@app.command("set-role")
def set_role_cmd(
    ctx: typer.Context,
    email: str = typer.Argument(...),
    role: str = typer.Argument(..., help=ROLE_HELP),
) -> None:
    """Change a user's role (admins only)."""
    cli = get(ctx)
    with cli.session() as session:
        user = set_role(session, actor=cli.principal(session), email=email, role=role)
    typer.echo(f"{user.email} is now {user.role}")


@app.command("set-active")
def set_active_cmd(
    ctx: typer.Context,
    email: str = typer.Argument(...),
    active: bool = typer.Option(..., "--active/--inactive", help="Reactivate or deactivate the account."),
) -> None:
    """Deactivate or reactivate a user (admins only)."""
    cli = get(ctx)
    with cli.session() as session:
        user = set_active(session, actor=cli.principal(session), email=email, active=active)
    typer.echo(f"{user.email} is now {'active' if user.active else 'deactivated'}")
