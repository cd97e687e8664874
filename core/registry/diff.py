"""Diffs of two versions, built on difflib.

* :func:`diff_contents` — section-aware: sections added, removed, reordered and changed (with a line
  diff inside each changed section), plus changes to the policy and the other fields.
* :func:`unified_diff` — a unified text diff of the two versions' canonical text.
* :func:`side_by_side` — aligned rows (left, right, tag) for a two-column view.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

RowTag = Literal["equal", "replace", "delete", "insert"]


@dataclass(frozen=True)
class SectionChange:
    section_id: str
    kind_before: str
    kind_after: str
    text_diff: tuple[str, ...]  # unified diff lines of the section text (empty if only the kind changed)


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class VersionDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reordered: tuple[str, ...] = ()
    changed: tuple[SectionChange, ...] = ()
    order_before: tuple[str, ...] = ()
    order_after: tuple[str, ...] = ()
    policy: tuple[FieldChange, ...] = ()
    fields: tuple[FieldChange, ...] = field(default_factory=tuple)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.reordered or self.changed or self.policy or self.fields)

    def summary(self) -> list[str]:
        lines = [f"+ section {s}" for s in self.added]
        lines += [f"- section {s}" for s in self.removed]
        lines += [f"~ section {c.section_id}" + _kind_note(c) for c in self.changed]
        if self.reordered:
            lines.append(f"↕ reordered: {', '.join(self.reordered)}")
        lines += [f"~ policy.{c.field}: {c.before} → {c.after}" for c in self.policy]
        lines += [f"~ {c.field}" for c in self.fields]
        return lines or ["no differences"]


def _kind_note(change: SectionChange) -> str:
    if change.kind_before != change.kind_after:
        return f" (kind {change.kind_before} → {change.kind_after})"
    return ""


def diff_contents(before: dict[str, Any], after: dict[str, Any]) -> VersionDiff:
    """Compare two canonical contents (``VersionContent.canonical()`` / ``PromptVersion.content``)."""
    old = {s["id"]: s for s in before["sections"]}
    new = {s["id"]: s for s in after["sections"]}
    order_before = [s["id"] for s in before["sections"]]
    order_after = [s["id"] for s in after["sections"]]
    changed = [
        SectionChange(
            section_id=sid,
            kind_before=old[sid]["kind"],
            kind_after=new[sid]["kind"],
            text_diff=tuple(_line_diff(old[sid]["text"], new[sid]["text"], sid)),
        )
        for sid in order_after
        if sid in old and (old[sid]["text"] != new[sid]["text"] or old[sid]["kind"] != new[sid]["kind"])
    ]
    return VersionDiff(
        added=tuple(s for s in order_after if s not in old),
        removed=tuple(s for s in order_before if s not in new),
        reordered=tuple(_moved(order_before, order_after)),
        changed=tuple(changed),
        order_before=tuple(order_before),
        order_after=tuple(order_after),
        policy=tuple(_policy_changes(before.get("policy") or {}, after.get("policy") or {})),
        fields=tuple(
            FieldChange(name, before.get(name), after.get(name))
            for name in ("instructions", "examples", "variables", "token_budget", "model")
            if before.get(name) != after.get(name)
        ),
    )


def _moved(order_before: list[str], order_after: list[str]) -> list[str]:
    """Sections present in both whose relative order changed: those outside the longest common run."""
    common = set(order_before) & set(order_after)
    a = [s for s in order_before if s in common]
    b = [s for s in order_after if s in common]
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    kept = {a[block.a + i] for block in matcher.get_matching_blocks() for i in range(block.size)}
    return [s for s in b if s not in kept]


def _policy_changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[FieldChange]:
    return [
        FieldChange(group, sorted(before.get(group, [])), sorted(after.get(group, [])))
        for group in ("required", "optional", "banned")
        if sorted(before.get(group, [])) != sorted(after.get(group, []))
    ]


def _line_diff(before: str, after: str, name: str) -> list[str]:
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(
            before.splitlines(), after.splitlines(), fromfile=f"a/{name}", tofile=f"b/{name}", lineterm=""
        )
    ]


def canonical_text(content: dict[str, Any]) -> list[str]:
    """A readable, stable text form of a version, the input of the text diffs."""
    lines: list[str] = []
    for section in content["sections"]:
        lines.append(f"## section {section['id']} ({section['kind']})")
        lines.extend(section["text"].splitlines())
        lines.append("")
    if content.get("examples"):
        lines.append("## examples")
        for i, example in enumerate(content["examples"], 1):
            lines.append(f"[{i}] input: {example['input']}")
            lines.append(f"[{i}] output: {example['output']}")
        lines.append("")
    if content.get("instructions"):
        lines.append("## instructions")
        lines.extend(content["instructions"].splitlines())
        lines.append("")
    policy = content.get("policy") or {}
    lines.append("## policy")
    for group in ("required", "optional", "banned"):
        lines.append(f"{group}: {', '.join(policy.get(group, [])) or '-'}")
    lines.append("")
    lines.append("## variables")
    for variable in content.get("variables", []):
        flag = "required" if variable.get("required", True) else f"optional, default {variable.get('default')!r}"
        lines.append(f"{variable['name']} ({flag})")
    lines.append("")
    lines.append(f"## token_budget: {content.get('token_budget') or '-'}")
    lines.append(f"## model: {json.dumps(content.get('model') or {}, sort_keys=True)}")
    return lines


def unified_diff(before: dict[str, Any], after: dict[str, Any], *, name_before: str, name_after: str) -> str:
    return "\n".join(
        difflib.unified_diff(
            canonical_text(before), canonical_text(after), fromfile=name_before, tofile=name_after, lineterm=""
        )
    )


@dataclass(frozen=True)
class SideBySideRow:
    left: str | None
    right: str | None
    tag: RowTag


def side_by_side(before: dict[str, Any], after: dict[str, Any]) -> list[SideBySideRow]:
    """Rows aligning the two canonical texts; ``None`` marks a missing line on one side."""
    left, right = canonical_text(before), canonical_text(after)
    rows: list[SideBySideRow] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [
                SideBySideRow(left[i], right[j], "equal") for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
        elif tag == "delete":
            rows += [SideBySideRow(left[i], None, "delete") for i in range(i1, i2)]
        elif tag == "insert":
            rows += [SideBySideRow(None, right[j], "insert") for j in range(j1, j2)]
        else:  # replace: pair lines up, pad the shorter side
            span = max(i2 - i1, j2 - j1)
            for k in range(span):
                rows.append(
                    SideBySideRow(
                        left[i1 + k] if i1 + k < i2 else None,
                        right[j1 + k] if j1 + k < j2 else None,
                        "replace",
                    )
                )
    return rows
