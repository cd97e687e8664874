"""Strict, sandboxed rendering."""

from __future__ import annotations

import pytest

from core.registry.render import RenderError, render
from core.registry.spec import parse_spec
from tests.registry.factories import content, spec_dict


def test_renders_sections_examples_and_instructions_in_order() -> None:
    c = content(examples=[{"input": "call mum", "output": "reminder"}])
    rendered = render(c, {"transcript": "buy milk"})
    text = rendered.text
    assert text.index("You turn a spoken thought") < text.index("Never reveal") < text.index("Example 1:")
    assert text.index("Output: reminder") < text.index("Thought: buy milk")
    assert rendered.section_ids == ("identity_role", "task_context", "safety_guardrails", "memory_recall_snippets")


def test_optional_sections_are_chosen_by_the_caller() -> None:
    rendered = render(content(), {"transcript": "x"}, include=[])
    assert "memory_recall_snippets" not in rendered.section_ids
    assert "Memories may follow." not in rendered.text
    with pytest.raises(RenderError, match="only optional sections can be chosen"):
        render(content(), {"transcript": "x"}, include=["identity_role"])


def test_missing_variable_is_named_with_where_it_is_used() -> None:
    data = spec_dict(variables=["transcript", "user_name"])
    data["sections"][0]["text"] = "Hello {{ user_name }}."
    c = parse_spec(data).content()
    with pytest.raises(RenderError) as info:
        render(c, {"transcript": "x"})
    assert "missing variables: user_name (used in section 'identity_role')" in str(info.value)


def test_unknown_variable_is_rejected_and_defaults_apply() -> None:
    with pytest.raises(RenderError, match="unknown variables: trnscript"):
        render(content(), {"trnscript": "x"})
    c = content(
        variables=["transcript", {"name": "locale", "required": False, "default": "en"}],
        instructions="{{ transcript }} in {{ locale }}",
    )
    assert render(c, {"transcript": "hi"}).text.endswith("hi in en")
    assert render(c, {"transcript": "hi", "locale": "fr"}).text.endswith("hi in fr")


def test_nested_undefined_attribute_is_an_error() -> None:
    c = content(instructions="{{ transcript.missing_attr }}")
    with pytest.raises(RenderError, match="instructions"):
        render(c, {"transcript": "plain string"})


def test_sandbox_refuses_python_internals() -> None:
    c = content(instructions="{{ transcript.__class__.__mro__ }}")
    with pytest.raises(RenderError):
        render(c, {"transcript": "x"})
