"""Filters shared by monitoring pages: a prompt, a period of whole days, and versions / label / segment.

Widget keys are namespaced (``overview.…``); the per-prompt filters are keyed by prompt so that
switching prompts never applies one prompt's versions or segment values to another.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.analytics.cells import Scope
from core.analytics.filters import DataSpan, FilterOptions
from core.db.models.registry import Prompt

DEFAULT_DAYS = 30
ANY = "*"  # the "no filter" option; never a label (labels match ^[a-z]) nor JSON text


@dataclass(frozen=True)
class Period:
    """Whole days ``first``..``last`` (inclusive) in the console's time zone."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """UTC start (inclusive) and end (exclusive) of the period's local days."""
        zone = ZoneInfo(tz)
        start = datetime.combine(self.first, time(), tzinfo=zone)
        end = datetime.combine(self.last + timedelta(days=1), time(), tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def describe(self) -> str:
        return f"{self.first:%d %b %Y} – {self.last:%d %b %Y}"


def default_period(spans: Iterable[DataSpan], tz: str, days: int = DEFAULT_DAYS) -> Period:
    """The last ``days`` days of available data (demo data may end in the past)."""
    last = max(span.days(tz)[1] for span in spans)
    return Period(last - timedelta(days=days - 1), last)


def prompt_picker(where: DeltaGenerator, prompts: Sequence[Prompt], spans: Mapping[int, DataSpan]) -> Prompt:
    """A prompt, the ones with data first (in their listed order)."""
    ordered = sorted(prompts, key=lambda p: p.id not in spans)
    by_name = {p.name: p for p in ordered}
    name = where.selectbox(
        "Prompt",
        list(by_name),
        key="overview.prompt",
        format_func=lambda n: n if by_name[n].id in spans else f"{n} (no traffic yet)",
    )
    return by_name[name]


def period_picker(where: DeltaGenerator, default: Period) -> Period:
    chosen = where.date_input(
        "Period",
        value=(default.first, default.last),
        key="overview.period",
        format="YYYY-MM-DD",
        help=f"Whole days. Defaults to the last {default.days} days that have data; figures are compared with "
        "the period of the same length just before.",
    )
    days = [d for d in chosen if d is not None] if isinstance(chosen, tuple | list) else [chosen]
    if not days:  # the range was cleared
        return default
    return Period(min(days), max(days))  # one date picked so far: that day alone


@dataclass(frozen=True)
class Selection:
    """Versions / label / segment chosen in the filters (None or empty: everything)."""

    version_ids: tuple[int, ...] | None = None
    label: str | None = None
    segment: Mapping[str, Any] = field(default_factory=dict)

    def scope(self, prompt_id: int, start: datetime, end: datetime) -> Scope:
        return Scope(
            prompt_id=prompt_id,
            start=start,
            end=end,
            version_ids=self.version_ids,
            label=self.label,
            segment=dict(self.segment) or None,
        )


def label_name(label: str) -> str:
    return label or "(no label)"


def _segment_value(encoded: str) -> str:
    value = json.loads(encoded)
    return "(not set)" if value is None else str(value)


def selection_filters(options: FilterOptions, *, version_names: Mapping[int, str], prompt_id: int) -> Selection:
    """Versions (any number), a label and one value per configured segment dimension."""
    key = f"overview.{prompt_id}"
    columns = st.columns(2 + len(options.segments))
    chosen_versions = columns[0].multiselect(
        "Versions",
        options.version_ids,
        key=f"{key}.versions",
        format_func=lambda v: version_names.get(v, f"#{v}"),
        placeholder="All versions",
    )
    label = columns[1].selectbox(
        "Label",
        [ANY, *options.labels],
        key=f"{key}.label",
        format_func=lambda v: "All labels" if v == ANY else label_name(v),
        help="Traffic resolved through this label (e.g. production, staging).",
    )
    segment: dict[str, Any] = {}
    for column, (dimension, values) in zip(columns[2:], options.segments.items(), strict=True):
        chosen = column.selectbox(
            dimension.replace("_", " ").capitalize(),
            [ANY, *(json.dumps(v) for v in values)],
            key=f"{key}.segment.{dimension}",
            format_func=lambda v: "All" if v == ANY else _segment_value(v),
            help=f"Segment dimension '{dimension}' configured for this prompt.",
        )
        if chosen != ANY:
            segment[dimension] = json.loads(chosen)
    return Selection(
        version_ids=tuple(chosen_versions) or None,
        label=None if label == ANY else label,
        segment=segment,
    )
