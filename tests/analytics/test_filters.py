"""Filter options and data spans read from the rollups match the records that were ingested."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine

from core.analytics.filters import data_spans, filter_options
from core.db.engine import transaction
from tests.analytics.conftest import START, Traffic


def test_spans_and_options_follow_the_data(engine: Engine, make_traffic: Callable[..., Traffic]) -> None:
    traffic = make_traffic(n=400)
    times = [datetime.fromisoformat(e["occurred_at"]) for e in traffic.executions]
    late = START + timedelta(days=7)  # version 1.1.0 only runs in the last three days
    with transaction(engine) as s:
        spans = data_spans(s, prompt_ids=[traffic.prompt_id, traffic.prompt_id + 1000])
        everything = filter_options(
            s, prompt_id=traffic.prompt_id, start=START, end=START + timedelta(days=10), dimensions=["expertise", "x"]
        )
        early = filter_options(s, prompt_id=traffic.prompt_id, start=START, end=late, dimensions=["expertise"])
        nothing = filter_options(s, prompt_id=traffic.prompt_id, start=START - timedelta(days=9), end=START)
    assert set(spans) == {traffic.prompt_id}  # a prompt without rollups has no span
    span = spans[traffic.prompt_id]
    assert span.first_hour == min(times).replace(minute=0, second=0)
    assert span.last_hour == max(times).replace(minute=0, second=0)
    assert span.days("UTC") == (min(times).date(), max(times).date())
    assert everything.version_ids == tuple(sorted(traffic.version_ids.values()))
    assert everything.labels == ("production",)
    assert everything.segments == {"expertise": ("expert", "novice"), "x": (None,)}  # missing: null
    assert early.version_ids == (traffic.version_ids["1.0.0"],)
    assert nothing.empty
    assert nothing.segments == {}
