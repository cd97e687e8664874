"""Semver parsing, bumping and inference from what changed."""

from __future__ import annotations

import pytest

from core.errors import ValidationError
from core.registry.semver import SemVer, infer_bump
from core.registry.spec import parse_spec
from tests.registry.factories import content, spec_dict, with_section_text


def test_parse_and_bump() -> None:
    v = SemVer.parse("1.4.2")
    assert (str(v.bump("patch")), str(v.bump("minor")), str(v.bump("major"))) == ("1.4.3", "1.5.0", "2.0.0")
    assert SemVer.parse("1.10.0") > SemVer.parse("1.9.9")
    for bad in ("1.2", "v1.2.3", "01.2.3", "1.2.3-rc1"):
        with pytest.raises(ValidationError, match=r"MAJOR\.MINOR\.PATCH"):
            SemVer.parse(bad)


def test_text_only_change_is_a_patch() -> None:
    before = content().canonical()
    assert infer_bump(before, with_section_text("task_context", "The user speaks formally.").canonical()) == "patch"
    assert infer_bump(before, content(instructions="Thought now: {{ transcript }}").canonical()) == "patch"


def test_structure_changes_are_minor() -> None:
    base = spec_dict()
    before = content().canonical()
    removed = dict(base, sections=[s for s in base["sections"] if s["id"] != "task_context"])
    reordered = dict(base, sections=[base["sections"][1], base["sections"][0], *base["sections"][2:]])
    policy = dict(
        base,
        policy={
            "required": ["identity_role", "task_context", "safety_guardrails", "memory_recall_snippets"],
        },
    )
    for changed in (removed, reordered, policy, dict(base, token_budget=900), dict(base, model={"name": "x"})):
        assert infer_bump(before, parse_spec(changed).canonical()) == "minor"


def test_variable_contract_changes_are_major_but_adding_an_optional_one_is_not() -> None:
    before = content().canonical()
    new_required = content(variables=["transcript", "locale"], instructions="{{ transcript }} {{ locale }}")
    assert infer_bump(before, new_required.canonical()) == "major"
    new_optional = content(variables=["transcript", {"name": "locale", "required": False, "default": "en"}])
    assert infer_bump(before, new_optional.canonical()) == "minor"
    removed = content(variables=[], instructions="Thought:")
    assert infer_bump(before, removed.canonical()) == "major"
