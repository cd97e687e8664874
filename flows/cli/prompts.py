"""`promptloop prompts ...`: the prompt registry.

Creating prompts and adding versions changes nothing production uses and records ``--user`` (or
the OS account) as the author. Moving a label does: ``label``, ``rollback`` and ``add-version
--label`` open a change request acting as ``--user``/``PROMPTLOOP_USER`` (an existing user), which
another operator approves; an admin may pass ``--apply`` to apply it at once with the reason.
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer

from core.db.models.registry import Prompt, PromptVersion
from core.governance.changes import propose_promotion, propose_rollback
from core.governance.prompt_settings import change_prompt_settings
from core.registry import diff as diffs
from core.registry.labels import current_labels, label_history
from core.registry.prompts import create_prompt, get_prompt, list_prompts
from core.registry.semver import Bump
from core.registry.settings import prompt_settings
from core.registry.spec import load_spec
from core.registry.versions import add_version, get_version, latest_version, list_versions
from flows.cli.changes import echo_proposal
from flows.cli.context import echo_json, get, parse_key_values

app = typer.Typer(help="Prompts, versions, labels, diffs and rollbacks.", no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON instead of text.")
APPLY = typer.Option(
    False, "--apply", help="Admins only: apply at once, without a second reviewer (still a change request, audited)."
)


def _version_dict(version: PromptVersion, *, with_content: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": version.version,
        "origin": version.origin,
        "author": version.author,
        "created_at": version.created_at,
        "content_hash": version.content_hash,
        "sections": version.section_ids,
        "notes": version.notes,
    }
    if with_content:
        data["content"] = version.content
    return data


@app.command()
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Prompt name, e.g. thought_to_intent."),
    description: str = typer.Option("", "--description", "-d"),
) -> None:
    """Create a prompt (a purpose or call site)."""
    cli = get(ctx)
    with cli.session() as session:
        create_prompt(session, name=name, description=description, actor=cli.actor)
    typer.echo(f"created prompt {name}")


@app.command("add-version")
def add_version_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Prompt name."),
    file: Path = typer.Option(..., "--file", "-f", help="Version spec (YAML or JSON)."),
    bump: str | None = typer.Option(None, "--bump", help="major, minor or patch (default: inferred)."),
    parent: str | None = typer.Option(None, "--parent", help="Parent version (default: the latest)."),
    label: str | None = typer.Option(
        None, "--label", help="Propose pointing this label at the new version (a change request)."
    ),
    reason: str = typer.Option("", "--reason", "-r", help="Why (kept with the change request)."),
    apply: bool = APPLY,
) -> None:
    """Add a version from a spec file (an identical existing version is reused, not duplicated)."""
    if bump not in (None, "major", "minor", "patch"):
        raise typer.BadParameter("must be major, minor or patch", param_hint="--bump")
    spec = load_spec(file)
    cli = get(ctx)
    with cli.session() as session:
        added = add_version(
            session,
            prompt_name=name,
            content=spec.content(),
            actor=cli.actor,
            bump=_as_bump(bump),
            parent=parent,
            notes=spec.notes,
        )
        version = added.version.version
        proposal = None
        if label:
            proposal = propose_promotion(
                session,
                actor=cli.principal(session),
                rules=cli.rules,
                prompt_name=name,
                label=label,
                version=version,
                reason=reason or f"added version {version}",
                apply_now=apply,
            )
    if added.created:
        typer.echo(f"added {name} {version}" + (f" ({added.bump} bump)" if added.bump else ""))
    else:
        typer.echo(f"{name} {version} has identical content; reused it")
    if proposal is not None and not echo_proposal(proposal):
        raise typer.Exit(1)


def _as_bump(value: str | None) -> Bump | None:
    if value == "major":
        return "major"
    if value == "minor":
        return "minor"
    if value == "patch":
        return "patch"
    return None


@app.command("list")
def list_cmd(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List prompts with their latest version and labels."""
    with get(ctx).session() as session:
        rows = []
        for prompt in list_prompts(session):
            latest = latest_version(session, prompt=prompt)
            rows.append(
                {
                    "name": prompt.name,
                    "description": prompt.description,
                    "latest_version": latest.version if latest else None,
                    "versions": len(list_versions(session, prompt=prompt)),
                    "labels": current_labels(session, prompt=prompt),
                }
            )
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("no prompts yet: `promptloop prompts create NAME`")
    for row in rows:
        labels = ", ".join(f"{k}={v}" for k, v in row["labels"].items()) or "no labels"
        typer.echo(f"{row['name']}  latest {row['latest_version'] or '-'}  ({row['versions']} versions; {labels})")


@app.command()
def show(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    version: str | None = typer.Option(None, "--version", help="Show this version's content."),
    as_json: bool = JSON,
) -> None:
    """Show a prompt's versions and labels, or one version's content."""
    with get(ctx).session() as session:
        prompt = get_prompt(session, name=name)
        if version is not None:
            data: dict[str, Any] = _version_dict(
                get_version(session, prompt=prompt, version=version), with_content=True
            )
        else:
            data = _prompt_dict(session, prompt)
    if as_json:
        echo_json(data)
    elif version is not None:
        typer.echo(
            f"{name} {data['version']}  ({data['origin']}, by {data['author']}, {data['created_at']:%Y-%m-%d %H:%M})"
        )
        typer.echo(f"hash {data['content_hash']}")
        typer.echo("\n".join(diffs.canonical_text(data["content"])))
    else:
        typer.echo(f"{name}: {data['description']}")
        labels_by_version: dict[str, list[str]] = {}
        for label, v in data["labels"].items():
            labels_by_version.setdefault(v, []).append(label)
        for v in data["versions"]:
            tags = ", ".join(labels_by_version.get(v["version"], []))
            parent = f" ← {v['parent']}" if v["parent"] else ""
            typer.echo(f"  {v['version']}{parent}  {v['origin']}  {v['author']}  {tags}")


def _prompt_dict(session: Any, prompt: Prompt) -> dict[str, Any]:
    versions = list_versions(session, prompt=prompt)
    by_id = {v.id: v.version for v in versions}
    return {
        "name": prompt.name,
        "description": prompt.description,
        "settings": prompt.settings,
        "labels": current_labels(session, prompt=prompt),
        "versions": [_version_dict(v) | {"parent": by_id.get(v.parent_id or -1)} for v in versions],
    }


@app.command()
def history(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    label: str | None = typer.Option(None, "--label", "-l", help="Only this label."),
    as_json: bool = JSON,
) -> None:
    """The history of label moves (who, when, from, to, why)."""
    with get(ctx).session() as session:
        entries = label_history(session, prompt=get_prompt(session, name=name), label=label)
    if as_json:
        echo_json([entry.__dict__ for entry in entries])
        return
    if not entries:
        typer.echo("no label moves yet")
    for e in entries:
        typer.echo(
            f"{e.moved_at:%Y-%m-%d %H:%M}  {e.label}: {e.from_version or '∅'} → {e.to_version}  "
            f"[{e.kind}] by {e.actor}: {e.reason}"
        )


@app.command()
def diff(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    v1: str = typer.Argument(..., help="Old version."),
    v2: str = typer.Argument(..., help="New version."),
    side_by_side: bool = typer.Option(False, "--side-by-side", help="Two columns instead of a unified diff."),
    width: int = typer.Option(60, "--width", help="Column width for --side-by-side."),
    as_json: bool = JSON,
) -> None:
    """Diff two versions: a section-aware summary, then the text diff."""
    with get(ctx).session() as session:
        prompt = get_prompt(session, name=name)
        before = get_version(session, prompt=prompt, version=v1).content
        after = get_version(session, prompt=prompt, version=v2).content
    summary = diffs.diff_contents(before, after)
    if as_json:
        echo_json(
            {
                "added": summary.added,
                "removed": summary.removed,
                "reordered": summary.reordered,
                "changed": [c.__dict__ for c in summary.changed],
                "policy": [c.__dict__ for c in summary.policy],
                "fields": [c.__dict__ for c in summary.fields],
                "unified": diffs.unified_diff(before, after, name_before=f"{name}@{v1}", name_after=f"{name}@{v2}"),
            }
        )
        return
    for line in summary.summary():
        typer.echo(line)
    typer.echo("")
    if side_by_side:
        marks = {"equal": " ", "replace": "|", "delete": "<", "insert": ">"}
        for row in diffs.side_by_side(before, after):
            # wrapped, never cut: a change past the column width must still show
            lefts = textwrap.wrap(row.left or "", width) or [""]
            rights = textwrap.wrap(row.right or "", width) or [""]
            for i in range(max(len(lefts), len(rights))):
                left = (lefts[i] if i < len(lefts) else "").ljust(width)
                mark = marks[row.tag] if i == 0 else (" " if row.tag == "equal" else ".")
                typer.echo(f"{left} {mark} {rights[i] if i < len(rights) else ''}".rstrip())
    else:
        typer.echo(diffs.unified_diff(before, after, name_before=f"{name}@{v1}", name_after=f"{name}@{v2}"))


def _after(value: str | None, timezone: str) -> datetime | None:
    """An ISO time; one without an offset is in ``timezone`` (PROMPTLOOP_TIMEZONE), like the schedules."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("use an ISO time, e.g. 2026-02-01T09:00+00:00", param_hint="--after") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ZoneInfo(timezone))


@app.command()
def label(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    version: str = typer.Argument(...),
    label_name: str = typer.Option(..., "--label", "-l", help="Label to move (e.g. production)."),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the request and the label history)."),
    apply: bool = APPLY,
    after: str | None = typer.Option(
        None, "--after", help="Apply no earlier than this ISO time once approved (no offset: PROMPTLOOP_TIMEZONE)."
    ),
) -> None:
    """Propose pointing a label at a version: opens a change request another operator approves."""
    cli = get(ctx)
    with cli.session() as session:
        proposal = propose_promotion(
            session,
            actor=cli.principal(session),
            rules=cli.rules,
            prompt_name=name,
            label=label_name,
            version=version,
            reason=reason,
            apply_now=apply,
            apply_after=_after(after, cli.settings.timezone),
        )
    if not echo_proposal(proposal):
        raise typer.Exit(1)


@app.command()
def rollback(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    label_name: str = typer.Option(..., "--label", "-l"),
    to: str | None = typer.Option(None, "--to", help="Version to go back to (default: the label's previous one)."),
    reason: str = typer.Option(..., "--reason"),
    apply: bool = APPLY,
) -> None:
    """Propose moving a label back to an earlier version: opens a rollback change request."""
    cli = get(ctx)
    with cli.session() as session:
        proposal = propose_rollback(
            session,
            actor=cli.principal(session),
            rules=cli.rules,
            prompt_name=name,
            label=label_name,
            to=to,
            reason=reason,
            apply_now=apply,
        )
    if not echo_proposal(proposal):
        raise typer.Exit(1)


@app.command()
def settings(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    set_: list[str] = typer.Option(
        [], "--set", help='key=value (JSON value), e.g. --set \'segment_dimensions=["expertise","language"]\'.'
    ),
    as_json: bool = JSON,
) -> None:
    """Show a prompt's settings, or change them with --set (admins only)."""
    cli = get(ctx)
    with cli.session() as session:
        if set_:
            current = change_prompt_settings(
                session, actor=cli.principal(session), prompt_name=name, changes=parse_key_values(set_)
            )
        else:
            current = prompt_settings(get_prompt(session, name=name).settings)
    data = current.model_dump(mode="json")
    if as_json:
        echo_json(data)
        return
    for key, value in data.items():
        typer.echo(f"{key}: {value}")
