"""The Prompts page lists prompts, versions and labels."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from core.db.engine import transaction
from core.registry.labels import move_label
from core.registry.prompts import create_prompt
from core.registry.versions import add_version
from tests.registry.factories import content, with_section_text


def test_empty_database_shows_how_to_start(console_app: Callable[..., AppTest]) -> None:
    at = console_app(page="views/prompts.py")
    assert not at.exception
    assert any("No prompts yet" in info.value for info in at.info)


def test_lists_prompts_versions_and_labels(engine: Engine, console_app: Callable[..., AppTest]) -> None:
    with transaction(engine) as s:
        create_prompt(s, name="thought_to_intent", description="voice intents", actor="a@x.io")
        add_version(s, prompt_name="thought_to_intent", content=content(), actor="a@x.io")
        add_version(s, prompt_name="thought_to_intent", content=with_section_text("task_context", "v2"), actor="b@x.io")
        move_label(s, prompt_name="thought_to_intent", label="production", version="1.0.1", actor="a@x.io", reason="go")
    at = console_app(page="views/prompts.py")
    assert not at.exception
    summary = at.dataframe[0].value
    assert summary.loc[0, "prompt"] == "thought_to_intent"
    assert summary.loc[0, "versions"] == 2
    assert summary.loc[0, "labels"] == "production → 1.0.1"
    versions = at.dataframe[1].value
    assert list(versions["version"]) == ["1.0.1", "1.0.0"]
    assert versions.loc[0, "parent"] == "1.0.0"
    assert versions.loc[0, "labels"] == "production"
