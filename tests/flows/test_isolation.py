"""One prompt that cannot be processed does not stop the others (rollup refresh, discovery, report)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from core.db.engine import transaction
from flows.insight_discovery import insight_discovery
from flows.optimization_report import optimization_report
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
