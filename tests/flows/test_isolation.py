"""One prompt that cannot be processed does not stop the others (rollup refresh, discovery, report)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

import flows.policy_update as policy_update_module
from core.db.engine import transaction
from core.governance.watch import WatchedMove
from core.registry.labels import current_labels, move_label
from core.registry.prompts import get_prompt
from core.registry.versions import list_versions
from flows.insight_discovery import insight_discovery
from flows.optimization_report import optimization_report
from flows.policy_update import policy_update
from tests.flows.test_flows import NOW, _seed

pytestmark = pytest.mark.usefixtures("flow_env")


def test_one_broken_prompt_does_not_stop_the_others(engine: Engine) -> None:
    _seed(engine, scale=0.1)
    with transaction(engine) as s:  # settings no validator accepts: this prompt's discovery fails
        s.execute(text("UPDATE prompts SET settings = '{\"segment_dimensions\": 42}' WHERE name = 'planning'"))
    summary = insight_discovery(now=NOW)
    assert set(summary["errors"]) == {"planning"}
    assert summary["prompts"] == 5
    assert summary["critical"] == 1  # the other prompts were analysed, the regression found
    report = optimization_report(now=NOW)
    assert set(report["errors"]) == {"planning"}
    assert report["prompts"] == 4


def test_one_failing_watch_does_not_stop_the_policy_update(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(engine, scale=0.1)
    real = policy_update_module.watch_move

    def fail_for_dimension_extraction(session: Any, move: WatchedMove, **kwargs: Any) -> Any:
        if move.prompt == "dimension_extraction":  # fault injection: a broken prompt mid-watch
            raise RuntimeError("planted failure")
        return real(session, move, **kwargs)

    with transaction(engine) as s:  # a second promotion inside the watch window, on another prompt
        planning = get_prompt(s, name="planning")
        versions = [v.version for v in list_versions(s, prompt=planning)]
        current = current_labels(s, prompt=planning)["production"]
        other = next(v for v in reversed(versions) if v != current)
        move_label(s, prompt_name="planning", label="production", version=other, actor="t", reason="test",
                   moved_at=NOW - timedelta(days=2))  # fmt: skip
    monkeypatch.setattr(policy_update_module, "watch_move", fail_for_dimension_extraction)

    summary = policy_update(now=NOW)

    assert set(summary["errors"]) == {"watch:dimension_extraction:production"}
    assert "planted failure" in summary["errors"]["watch:dimension_extraction:production"]
    assert any(w.startswith("planning production ") for w in summary["watched"])  # the others went on
    assert "notifications_sent" in summary
