"""Render a version with variables through a strict, sandboxed template engine.

Layout of the rendered prompt: the included sections in their order, then the few-shot examples,
then the instructions — separated by blank lines. Required sections are always included; optional
ones when the caller includes them (all of them by default); banned ones never.

Strictness: a variable a template needs but the caller did not give (and that has no default) is
an error naming it and where it is used; so is a variable the version does not declare (a typo);
templates run in Jinja's immutable sandbox, so they cannot call into Python objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, UndefinedError, meta
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from core.errors import ValidationError
from core.registry.spec import VersionContent

_ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


class RenderError(ValidationError):
    """The version could not be rendered with the given variables."""


@dataclass(frozen=True)
class RenderedPrompt:
    text: str
    section_ids: tuple[str, ...]
    variables: Mapping[str, Any]


def render(
    content: VersionContent, variables: Mapping[str, Any], *, include: Iterable[str] | None = None
) -> RenderedPrompt:
    """Render ``content``. ``include`` names the optional sections to include (default: all)."""
    section_ids = _included_sections(content, include)
    values = _resolve_variables(content, variables, section_ids)
    parts: list[str] = []
    by_id = {s.id: s for s in content.sections}
    for section_id in section_ids:
        parts.append(_render_one(f"section '{section_id}'", by_id[section_id].text, values))
    if content.examples:
        parts.append(
            "\n\n".join(
                f"Example {i}:\nInput: {ex.input}\nOutput: {ex.output}" for i, ex in enumerate(content.examples, 1)
            )
        )
    if content.instructions:
        parts.append(_render_one("instructions", content.instructions, values))
    return RenderedPrompt(text="\n\n".join(parts), section_ids=tuple(section_ids), variables=values)


def _included_sections(content: VersionContent, include: Iterable[str] | None) -> list[str]:
    policy = content.effective_policy()
    optional = set(policy.optional)
    if include is None:
        wanted = optional
    else:
        wanted = set(include)
        not_optional = sorted(wanted - optional)
        if not_optional:
            raise RenderError(
                f"cannot include {', '.join(not_optional)}: only optional sections can be chosen "
                f"(optional here: {', '.join(sorted(optional)) or 'none'})"
            )
    required = set(policy.required)
    return [s.id for s in content.sections if s.id in required or s.id in wanted]


def _resolve_variables(content: VersionContent, given: Mapping[str, Any], section_ids: list[str]) -> dict[str, Any]:
    declared = {v.name: v for v in content.variables}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise RenderError(
            f"unknown variables: {', '.join(unknown)} (declared: {', '.join(sorted(declared)) or 'none'})"
        )
    values = {name: v.default for name, v in declared.items() if v.default is not None} | dict(given)
    sources = {f"section '{s.id}'": s.text for s in content.sections if s.id in section_ids}
    if content.instructions:
        sources["instructions"] = content.instructions
    missing: dict[str, list[str]] = {}
    for where, source in sources.items():
        for name in sorted(meta.find_undeclared_variables(_ENV.parse(source))):
            if name not in values:
                missing.setdefault(name, []).append(where)
    if missing:
        detail = "; ".join(f"{name} (used in {', '.join(places)})" for name, places in missing.items())
        raise RenderError(f"missing variables: {detail}")
    return values


def _render_one(where: str, source: str, values: Mapping[str, Any]) -> str:
    try:
        return _ENV.from_string(source).render(values)
    except UndefinedError as exc:
        raise RenderError(f"{where}: {exc.message}") from None
    except SecurityError as exc:
        raise RenderError(f"{where}: refused by the template sandbox: {exc}") from None
    except TemplateError as exc:
        raise RenderError(f"{where}: {exc}") from None
