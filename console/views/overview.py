"""Overview (managers): how a prompt is doing over a period, from the rollups and the registry only.

Headline figures with their intervals and the change against the previous period, then daily trends
(accuracy with its 95 % interval, correction and failure rates, volume, latency, tokens) with label
moves drawn on every chart. One aggregation query serves every figure on the page: the daily series
of the period *and* the period before it (totals are sums of the days' sufficient statistics).
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from console import state
from console.widgets.charts import label_markers
from console.widgets.filters import (
    default_period,
    period_picker,
    prompt_picker,
    selection_filters,
)
from console.widgets.headline import headline_figures, show_headline
from console.widgets.trends import accuracy_figure, latency_figure, rates_figure, tokens_figure, volume_figure
from console.widgets.users import show_users
from core.analytics.cells import CellStats
from core.analytics.filters import data_spans, filter_options
from core.analytics.summary import daily_series
from core.analytics.users import expertise_profiles
from core.registry.labels import label_history
from core.registry.prompts import list_prompts
from core.registry.settings import prompt_settings
from core.registry.versions import list_versions

HOW_TO_RECORD = (
    "Record executions and outcomes (`promptloop ingest FILE`, or the API), then `promptloop rollups refresh`; "
    "or try it with `promptloop seed-demo`."
)

PLOTLY_CONFIG = {"displaylogo": False}

st.title("Overview")
tz = state.settings().timezone

with state.session() as session:
    prompts = list(list_prompts(session))
    spans = data_spans(session, prompt_ids=[p.id for p in prompts])

if not prompts:
    st.info(f"No prompts yet, so nothing to monitor. Create one with `promptloop prompts create NAME`. {HOW_TO_RECORD}")
    st.stop()
if not spans:
    st.info(f"No traffic recorded yet for any prompt. {HOW_TO_RECORD}")
    st.stop()

top = st.columns(2)
prompt = prompt_picker(top[0], prompts, spans)
period = period_picker(top[1], default_period(spans.values(), tz))
span = spans.get(prompt.id)
if span is None:
    st.info(f"No traffic recorded yet for **{prompt.name}**. {HOW_TO_RECORD}")
    st.stop()

start, end = period.bounds(tz)
with state.session() as session:
    versions = {v.id: v.version for v in list_versions(session, prompt=prompt)}
    moves = label_history(session, prompt=prompt)
    dimensions = prompt_settings(prompt.settings).segment_dimensions
    options = filter_options(session, prompt_id=prompt.id, start=start, end=end, dimensions=dimensions)

if options.empty:
    first, last = span.days(tz)
    st.info(
        f"No executions of **{prompt.name}** in {period.describe()}. "
        f"Its data covers {first:%d %b %Y} – {last:%d %b %Y}: choose a period within it."
    )
    st.stop()

selection = selection_filters(options, version_names=versions, prompt_id=prompt.id)
previous_start, _ = period.previous().bounds(tz)
with state.session() as session:
    points = daily_series(session, selection.scope(prompt.id, previous_start, end), tz=tz, with_tokens=True)
current = [p for p in points if p.day >= period.first]
before = [p for p in points if p.day < period.first]
if not current:
    st.info(f"No executions of **{prompt.name}** match these filters in {period.describe()}. Widen the filters.")
    st.stop()

figures = headline_figures(
    sum((p.stats for p in current), CellStats()),
    sum((p.stats for p in before), CellStats()),
    days=period.days,
    active_days=len(current),
)
show_headline(figures, days=period.days)

markers = label_markers(
    (m for m in moves if selection.label is None or m.label == selection.label), start=start, end=end, tz=tz
)
days = (period.first, period.last)
st.plotly_chart(accuracy_figure(current, markers, days), config=PLOTLY_CONFIG)
left, right = st.columns(2)
left.plotly_chart(rates_figure(current, markers, days), config=PLOTLY_CONFIG)
right.plotly_chart(volume_figure(current, markers, days), config=PLOTLY_CONFIG)
left.plotly_chart(latency_figure(current, markers, days), config=PLOTLY_CONFIG)
right.plotly_chart(tokens_figure(current, markers, days), config=PLOTLY_CONFIG)
st.caption(
    f"Days in {tz}. Dotted lines are label moves (hover for who and why). Read from the hourly rollups: "
    "refreshed by `promptloop rollups refresh` or the scheduled flow."
)

expertise = prompt_settings(prompt.settings).expertise
with state.session() as session:
    profiles = expertise_profiles(
        session, prompt_id=prompt.id, start=period.first, end=period.last + timedelta(days=1), thresholds=expertise
    )
show_users(profiles, expertise)
