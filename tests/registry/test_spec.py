"""Version spec files: documented format, validation errors that name the field, canonical hashing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from core.registry.spec import SpecError, load_spec, parse_spec
from tests.registry.factories import spec_dict


def _problems(data: object) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        parse_spec(data)
    return dict(info.value.problems)


def test_valid_spec_derives_policy_from_kinds() -> None:
    spec = parse_spec(spec_dict())
    policy = spec.effective_policy()
    assert policy.required == ["identity_role", "task_context", "safety_guardrails"]
    assert policy.optional == ["memory_recall_snippets"]
    assert spec.canonical()["policy"]["banned"] == []


@pytest.mark.parametrize(
    ("mutate", "path", "fragment"),
    [
        (lambda d: d["sections"][1].update(kind="mandatory"), "sections[1].kind", "guardrail"),
        (lambda d: d["sections"][0].update(id="Bad Id"), "sections[0].id", "pattern"),
        (lambda d: d["sections"][2].update(text="   "), "sections[2].text", "blank"),
        (lambda d: d.update(token_budget=0), "token_budget", "greater than 0"),
        (lambda d: d.update(model={"temperature": 5}), "model.temperature", "less than or equal to 2"),
        (lambda d: d.update(examples=[{"input": "x"}]), "examples[0].output", "Field required"),
        (lambda d: d.update(colour="blue"), "colour", "Extra inputs are not permitted"),
        (lambda d: d.update(instructions="Use {{ trnscript }}"), "instructions", "trnscript"),
        (lambda d: d["sections"].append(dict(d["sections"][0])), "sections", "duplicate section ids: identity_role"),
        (lambda d: d.update(variables=[{"name": "x", "default": "1"}]), "variables[0]", "required: false"),
    ],
)
def test_invalid_specs_name_the_field(mutate: object, path: str, fragment: str) -> None:
    data = spec_dict()
    mutate(data)  # type: ignore[operator]
    problems = _problems(data)
    assert path in problems, problems
    assert fragment in problems[path]


@pytest.mark.parametrize(
    ("policy", "fragment"),
    [
        ({"required": ["identity_role", "nope"]}, "not defined: nope"),
        ({"required": ["identity_role"], "banned": ["identity_role"]}, "both required and banned"),
        (
            {
                "required": ["identity_role", "task_context", "safety_guardrails", "memory_recall_snippets"],
                "banned": ["task_context"],
            },
            "listed in both",
        ),
        (
            {
                "required": ["identity_role", "task_context"],
                "optional": ["safety_guardrails", "memory_recall_snippets"],
            },
            "guardrail sections must be required: safety_guardrails",
        ),
        ({"required": ["identity_role", "safety_guardrails"]}, "must be listed as required or optional"),
    ],
)
def test_policy_errors(policy: dict[str, list[str]], fragment: str) -> None:
    problems = _problems(spec_dict(policy=policy))
    assert fragment in problems["policy"]


def test_banned_section_must_not_be_defined() -> None:
    data = spec_dict(
        policy={
            "required": ["identity_role", "task_context", "safety_guardrails"],
            "optional": ["memory_recall_snippets"],
            "banned": ["chit_chat"],
        }
    )
    assert parse_spec(data).canonical()["policy"]["banned"] == ["chit_chat"]
    data["sections"].append({"id": "chit_chat", "kind": "optional", "text": "Hi!"})
    data["policy"]["optional"].append("chit_chat")
    assert "listed in both" in _problems(data)["policy"]


def test_content_hash_ignores_notes_and_yaml_trailing_newlines(tmp_path: Path) -> None:
    yaml_file = tmp_path / "v.yaml"
    yaml_file.write_text(
        "notes: first try\n"
        "variables: [transcript]\n"
        "sections:\n"
        "  - id: identity_role\n"
        "    text: |\n"
        "      You turn a spoken thought into an intent.\n"
        "instructions: 'Thought: {{ transcript }}'\n"
    )
    json_file = tmp_path / "v.json"
    json_file.write_text(
        json.dumps(
            {
                "notes": "something else",
                "variables": ["transcript"],
                "sections": [{"id": "identity_role", "text": "You turn a spoken thought into an intent."}],
                "instructions": "Thought: {{ transcript }}",
            }
        )
    )
    from_yaml, from_json = load_spec(yaml_file), load_spec(json_file)
    assert from_yaml.notes == "first try"
    assert from_yaml.content().content_hash() == from_json.content().content_hash()
    changed = parse_spec({**from_json.model_dump(), "instructions": "Thought: {{ transcript }}!"})
    assert changed.content().content_hash() != from_json.content().content_hash()


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the file"):
        load_spec(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("sections:\n  - id: a\n   text: [unclosed\n")
    with pytest.raises(SpecError, match=r"invalid YAML at line \d+"):
        load_spec(broken)
    not_a_mapping = tmp_path / "list.json"
    not_a_mapping.write_text("[1, 2]")
    with pytest.raises(SpecError, match="must be a mapping"):
        load_spec(not_a_mapping)


def test_the_documented_spec_format_example_is_a_valid_spec() -> None:
    import core.registry.spec as spec_module

    assert spec_module.__doc__ is not None
    block = re.search(r"```yaml\n(.*?)```", spec_module.__doc__, re.S)
    assert block is not None
    content = parse_spec(yaml.safe_load(block.group(1))).content()
    assert [s.id for s in content.sections] == ["identity_role", "memory_recall_snippets"]
