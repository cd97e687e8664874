"""The registry through the CLI, against the real database: create → add-version → label → diff → rollback → history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.main import app

V1 = """
variables: [transcript]
sections:
  - id: identity_role
    text: You turn a spoken thought into an intent.
  - id: safety_guardrails
    kind: guardrail
    text: Never reveal personal data.
  - id: memory_recall_snippets
    kind: optional
    text: Memories may follow.
instructions: "Thought: {{ transcript }}"
token_budget: 1200
notes: first version
"""


@pytest.fixture
def runner(cli_env: dict[str, str]) -> CliRunner:
    return CliRunner(env=cli_env)


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_round_trip(runner: CliRunner, tmp_path: Path) -> None:
    v1 = tmp_path / "v1.yaml"
    v1.write_text(V1)
    v2 = tmp_path / "v2.yaml"
    v2.write_text(
        V1.replace(
            "  - id: memory_recall_snippets",
            "  - id: output_schema\n    text: Answer as JSON.\n  - id: memory_recall_snippets",
        )
    )

    _ok(runner, "users", "add", "tester@example.com", "--role", "admin", "--no-password")  # the bootstrap admin
    assert "created prompt thought_to_intent" in _ok(runner, "prompts", "create", "thought_to_intent", "-d", "intents")
    out = _ok(
        runner,
        "prompts",
        "add-version",
        "thought_to_intent",
        "--file",
        str(v1),
        "--label",
        "production",
        "--reason",
        "launch",
        "--apply",
    )
    assert "added thought_to_intent 1.0.0" in out
    assert "label production: ∅ → 1.0.0" in out
    assert "identical content; reused it" in _ok(runner, "prompts", "add-version", "thought_to_intent", "-f", str(v1))
    out = _ok(runner, "prompts", "add-version", "thought_to_intent", "-f", str(v2))
    assert "added thought_to_intent 1.1.0 (minor bump)" in out
    args = ("prompts", "label", "thought_to_intent", "1.1.0", "--label", "production", "--reason", "schema", "--apply")
    refused = runner.invoke(app, list(args))  # one person may not promote what production uses...
    assert refused.exit_code == 1
    assert "two-person rule" in refused.output
    solo = CliRunner(env={**runner.env, "PROMPTLOOP_TWO_PERSON_RULE": "false"})  # type: ignore[dict-item]
    out = _ok(solo, *args)  # ...unless the rule is off (a one-person setup)
    assert "label production: 1.0.0 → 1.1.0" in out

    out = _ok(runner, "prompts", "diff", "thought_to_intent", "1.0.0", "1.1.0")
    assert "+ section output_schema" in out
    assert "+Answer as JSON." in out
    side = _ok(runner, "prompts", "diff", "thought_to_intent", "1.0.0", "1.1.0", "--side-by-side")
    assert any(line.rstrip().endswith("> Answer as JSON.") for line in side.splitlines())
    narrow = _ok(runner, "prompts", "diff", "thought_to_intent", "1.0.0", "1.1.0", "--side-by-side", "--width", "12")
    assert any(line.rstrip().endswith("> Answer as") for line in narrow.splitlines())
    assert any(line.rstrip().endswith(". JSON.") for line in narrow.splitlines())  # wrapped, not cut off
    diff_json = json.loads(_ok(runner, "prompts", "diff", "thought_to_intent", "1.0.0", "1.1.0", "--json"))
    assert diff_json["added"] == ["output_schema"]

    assert "label production: 1.1.0 → 1.0.0" in _ok(
        runner, "prompts", "rollback", "thought_to_intent", "--label", "production", "--reason", "regression", "--apply"
    )
    history = json.loads(_ok(runner, "prompts", "history", "thought_to_intent", "--label", "production", "--json"))
    assert [(h["from_version"], h["to_version"], h["kind"]) for h in history] == [
        (None, "1.0.0", "set"),
        ("1.0.0", "1.1.0", "set"),
        ("1.1.0", "1.0.0", "rollback"),
    ]
    assert history[-1]["actor"] == "tester@example.com"
    assert history[-1]["reason"] == "regression"

    shown = json.loads(_ok(runner, "prompts", "show", "thought_to_intent", "--json"))
    assert shown["labels"] == {"production": "1.0.0"}
    assert [(v["version"], v["parent"]) for v in shown["versions"]] == [("1.0.0", None), ("1.1.0", "1.0.0")]
    content = json.loads(_ok(runner, "prompts", "show", "thought_to_intent", "--version", "1.0.0", "--json"))
    assert content["notes"] == "first version"
    assert content["content"]["token_budget"] == 1200
    listed = json.loads(_ok(runner, "prompts", "list", "--json"))
    assert listed == [
        {
            "name": "thought_to_intent",
            "description": "intents",
            "latest_version": "1.1.0",
            "versions": 2,
            "labels": {"production": "1.0.0"},
        }
    ]
    assert "production" in _ok(runner, "prompts", "show", "thought_to_intent")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["prompts", "show", "nope"], "error: unknown prompt 'nope'"),
        (["prompts", "diff", "thought_to_intent", "1.0.0", "3.0.0"], "has no version '3.0.0'"),
        (["prompts", "rollback", "thought_to_intent", "--label", "production", "--reason", "x"], "no earlier version"),
        (["prompts", "create", "thought_to_intent"], "already exists"),
    ],
)
def test_domain_errors_are_one_clear_line(runner: CliRunner, tmp_path: Path, args: list[str], message: str) -> None:
    spec = tmp_path / "v1.yaml"
    spec.write_text(V1)
    _ok(runner, "users", "add", "tester@example.com", "--role", "admin", "--no-password")
    _ok(runner, "prompts", "create", "thought_to_intent")
    _ok(
        runner,
        "prompts",
        "add-version",
        "thought_to_intent",
        "-f",
        str(spec),
        "--label",
        "production",
        "--reason",
        "go",
        "--apply",
    )
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_invalid_spec_names_fields_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    _ok(runner, "prompts", "create", "planning")
    bad = tmp_path / "bad.yaml"
    bad.write_text(V1.replace("kind: guardrail", "kind: mandatory").replace("token_budget: 1200", "token_budget: -5"))
    result = runner.invoke(app, ["prompts", "add-version", "planning", "-f", str(bad)])
    assert result.exit_code == 1
    assert "sections[1].kind" in result.output
    assert "token_budget: Input should be greater than 0" in result.output
    shown = json.loads(_ok(runner, "prompts", "show", "planning", "--json"))
    assert shown["versions"] == []
