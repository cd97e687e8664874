"""Semantic versions of prompt versions, and which part a change should bump.

Inference (when the caller does not choose):

* **major** — the variables contract changed: a variable was removed, or a new required one added.
  Callers that render the prompt must change.
* **minor** — the structure changed: sections added, removed, reordered or re-kinded, the section
  policy, the token budget, the model parameters, or the number of few-shot examples.
* **patch** — only text changed: section text, instructions, or the text of existing examples.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from core.errors import ValidationError

Bump = Literal["major", "minor", "patch"]
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
INITIAL = "1.0.0"


@dataclass(frozen=True, order=True)
class SemVer:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> SemVer:
        match = _SEMVER.match(text.strip())
        if match is None:
            raise ValidationError(f"'{text}' is not a version of the form MAJOR.MINOR.PATCH (e.g. 1.2.0)")
        return cls(int(match[1]), int(match[2]), int(match[3]))

    def bump(self, part: Bump) -> SemVer:
        if part == "major":
            return SemVer(self.major + 1, 0, 0)
        if part == "minor":
            return SemVer(self.major, self.minor + 1, 0)
        return SemVer(self.major, self.minor, self.patch + 1)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def infer_bump(parent: dict[str, Any], child: dict[str, Any]) -> Bump:
    """Compare two canonical contents (see ``VersionContent.canonical``)."""
    if _variables_broken(parent.get("variables", []), child.get("variables", [])):
        return "major"
    if _structure(parent) != _structure(child):
        return "minor"
    return "patch"


def _variables_broken(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> bool:
    old = {v["name"]: v for v in before}
    new = {v["name"]: v for v in after}
    removed = set(old) - set(new)
    newly_required = {
        name for name, v in new.items() if v.get("required", True) and not old.get(name, {}).get("required", False)
    }
    return bool(removed or newly_required)


def _structure(content: dict[str, Any]) -> tuple[Any, ...]:
    sections = tuple((s["id"], s["kind"]) for s in content.get("sections", []))
    policy = content.get("policy") or {}
    return (
        sections,
        tuple(sorted(policy.get("required", []))),
        tuple(sorted(policy.get("optional", []))),
        tuple(sorted(policy.get("banned", []))),
        content.get("token_budget"),
        tuple(sorted((content.get("model") or {}).items(), key=lambda kv: kv[0])),
        len(content.get("examples", [])),
        tuple(sorted(v["name"] for v in content.get("variables", []))),
    )
