"""Section-aware and text diffs on hand-made cases."""

from __future__ import annotations

from core.registry.diff import diff_contents, side_by_side, unified_diff
from core.registry.spec import parse_spec
from tests.registry.factories import content, spec_dict, with_section_text


def _canon(data: dict[str, object]) -> dict[str, object]:
    return parse_spec(data).canonical()


def test_identical_versions_have_an_empty_diff() -> None:
    c = content().canonical()
    result = diff_contents(c, c)
    assert result.is_empty
    assert result.summary() == ["no differences"]
    assert unified_diff(c, c, name_before="a", name_after="b") == ""


def test_section_added_and_removed() -> None:
    base = spec_dict()
    after = dict(base, sections=[s for s in base["sections"] if s["id"] != "task_context"])
    after["sections"].append({"id": "output_schema", "text": "Answer as JSON."})
    result = diff_contents(_canon(base), _canon(after))
    assert result.added == ("output_schema",)
    assert result.removed == ("task_context",)
    assert result.reordered == ()
    assert result.changed == ()
    assert [c.field for c in result.policy] == ["required"]


def test_section_changed_carries_a_line_diff() -> None:
    before = content().canonical()
    after = with_section_text("task_context", "The user speaks casually.\nThey may ramble.").canonical()
    result = diff_contents(before, after)
    assert [c.section_id for c in result.changed] == ["task_context"]
    lines = result.changed[0].text_diff
    assert "+They may ramble." in lines
    assert not any(line.startswith("-") and not line.startswith("---") for line in lines)
    assert result.added == result.removed == result.reordered == ()


def test_kind_change_without_text_change() -> None:
    base = spec_dict()
    after = spec_dict()
    after["sections"][1] = {**after["sections"][1], "kind": "guardrail"}
    result = diff_contents(_canon(base), _canon(after))
    assert len(result.changed) == 1
    change = result.changed[0]
    assert (change.section_id, change.kind_before, change.kind_after, change.text_diff) == (
        "task_context",
        "required",
        "guardrail",
        (),
    )


def test_reordered_sections_are_the_ones_that_moved() -> None:
    base = spec_dict()
    s = base["sections"]
    after = dict(base, sections=[s[0], s[2], s[3], s[1]])  # task_context moved to the end
    result = diff_contents(_canon(base), _canon(after))
    assert result.reordered == ("task_context",)
    assert result.order_after == ("identity_role", "safety_guardrails", "memory_recall_snippets", "task_context")
    assert result.changed == () and result.added == () and result.removed == ()


def test_unified_and_side_by_side_agree_on_changed_lines() -> None:
    before = content().canonical()
    after = with_section_text("identity_role", "You extract intents.").canonical()
    text = unified_diff(before, after, name_before="p@1.0.0", name_after="p@1.0.1")
    assert "--- p@1.0.0" in text and "+++ p@1.0.1" in text
    assert "-You turn a spoken thought into an intent." in text
    assert "+You extract intents." in text
    rows = side_by_side(before, after)
    changed = [r for r in rows if r.tag != "equal"]
    assert [(r.left, r.right) for r in changed] == [
        ("You turn a spoken thought into an intent.", "You extract intents.")
    ]


def test_other_field_changes_are_listed() -> None:
    before = content().canonical()
    after = content(token_budget=800, model={"name": "gpt-4o"}).canonical()
    result = diff_contents(before, after)
    assert {c.field for c in result.fields} == {"token_budget", "model"}
    assert "~ token_budget" in result.summary()
