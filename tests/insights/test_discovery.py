"""discover_prompt end to end on small cases: a prompt without traffic, and a part that fails."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from core.config import Settings
from core.db.engine import transaction
from core.insights import snapshot as snapshot_module
from core.insights.discovery import discover_prompt
from core.insights.findings import Finding
from core.insights.lifecycle import list_insights
from core.insights.rules import RuleRun
from core.insights.store import upsert_findings
from tests.insights.factories import NOW
from tests.recommend.conftest import Registered


def test_a_prompt_without_traffic_has_nothing_to_say(
    engine: Engine, settings: Settings, registered: Registered
) -> None:
    with transaction(engine) as s:
        result = discover_prompt(s, prompt_name="p", now=NOW, settings=settings)
    assert (result.prompt, result.findings, result.opened, result.critical, result.errors) == ("p", 0, 0, [], {})


def test_a_failing_part_is_isolated_and_leaves_its_insights_alone(
    engine: Engine,
    settings: Settings,
    registered: Registered,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pattern = Finding("growing_correction_pattern", "corrections:p-1", "corrections", "medium", "t", "d", ())
    with transaction(engine) as s:
        run = RuleRun((pattern,), frozenset({"growing_correction_pattern"}))
        upsert_findings(s, prompt_id=registered.prompt_id, prompt="p", run=run, now=NOW)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("clustering failed")

    monkeypatch.setattr(snapshot_module, "mine_patterns", broken)
    with transaction(engine) as s:
        result = discover_prompt(s, prompt_name="p", now=NOW, settings=settings)
    assert result.errors == {"patterns": "RuntimeError: clustering failed"}
    assert result.resolved == 0
    with transaction(engine) as s:
        assert [(i.key, i.status) for i in list_insights(s)] == [("corrections:p-1", "open")]
