"""The evidence of an insight as an operator reads it (Insights page): the figures with their
intervals, the flagged days or the pattern's examples, and a chart of the series the rule looked at.

Rules (``core.insights.checks_*``) store their figures in the JSON shapes of
:mod:`core.insights.findings` — estimates (``value``, ``lower``, ``upper``, ``level``, ``n``),
comparisons and sequential tests (``delta``, ``interval``, ``p_value``, ``n_control``,
``n_treatment``), trends (``slope_per_day``, ``interval``) — next to plain numbers (thresholds,
budgets) and a ``chart``: a daily ``line`` (with ``threshold``, a label-move ``marker`` or the
``flagged`` anomalous days) or a ``bar`` chart. This module reads those shapes, not the rules, so
a new rule's figures show up without a change here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from console.widgets.charts import MARKER_COLOR, Marker, add_line, add_markers, new_figure
from console.widgets.text import literal

PLOTLY_CONFIG = {"displaylogo": False}
SERIES_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd")
FLAG_COLOUR = "#d62728"
BEFORE_COLOUR, AFTER_COLOUR = "#2ca02c", "#d62728"
# series that are shares in [0, 1]: percent axis
PERCENT_SERIES = {"accuracy", "correction_rate", "failure_rate", "share of calls"}
CHART_TITLES = {
    "accuracy": "Daily accuracy",
    "correction_rate": "Daily correction rate",
    "failure_rate": "Daily failure rate",
    "share of calls": "Daily share of calls with this correction",
}
# keys shown elsewhere (chart, tables, context) rather than as figures
_NOT_FIGURES = {"chart", "days", "examples", "terms", "key", "label", "previous_decision"}
_SUBJECTS = {"pattern"}  # the insight is about it: its figures need no prefix
_CONTEXT = {
    "metric": "metric",
    "label": "label",
    "baseline_version": "before (baseline)",
    "candidate_version": "after (candidate)",
    "moved_at": "label moved",
    "version": "version",
    "randomized": "randomized",
    "window": "window",
    "recent_from": "this week from",
    "baseline_window": "baseline window",
    "candidate_window": "candidate window",
}


def _number(value: Any, *, signed: bool = False) -> str:
    if value is None or isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, int):
        return f"{value:+,}" if signed else f"{value:,}"
    return f"{float(value):+.4g}" if signed else f"{float(value):.4g}"


def _name(path: tuple[str, ...]) -> str:
    if len(path) > 1 and path[0] in _SUBJECTS:
        path = path[1:]
    return " · ".join(part.replace("_", " ") for part in path)


def _interval(lower: Any, upper: Any, *, signed: bool = False) -> str:
    if lower is None and upper is None:
        return "—"
    return f"[{_number(lower, signed=signed)}, {_number(upper, signed=signed)}]"


def _level(level: Any) -> str:
    return f"{float(level):.0%}" if isinstance(level, int | float) and not isinstance(level, bool) else "—"


def _row(
    name: str, estimate: str, interval: str = "—", level: str = "—", *, n: str = "", test: str = ""
) -> dict[str, str]:
    return {"figure": name, "estimate": estimate, "interval": interval, "level": level, "n": n, "test": test}


def _test_note(value: Mapping[str, Any]) -> str:
    parts = []
    if value.get("p_value") is not None:
        parts.append(f"p = {_number(value['p_value'])}")
    if "significant" in value:
        parts.append("significant" if value["significant"] else "not significant")
    if value.get("method"):
        parts.append(str(value["method"]))
    return " · ".join(parts)


def _figures(evidence: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[dict[str, str]]:
    for key, value in evidence.items():
        if key in _NOT_FIGURES or key in _CONTEXT:
            continue
        where = (*path, key)
        if isinstance(value, Mapping):
            yield from _shaped(value, where)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            yield _row(_name(where), _number(value))
        elif isinstance(value, bool):
            yield _row(_name(where), "yes" if value else "no")


def _shaped(value: Mapping[str, Any], where: tuple[str, ...]) -> Iterator[dict[str, str]]:
    """One figure per known JSON shape; any other mapping is walked for figures inside it."""
    name = _name(where)
    interval = value.get("interval") if isinstance(value.get("interval"), Mapping) else {}
    if "delta" in value and interval:  # comparison_json / sequential_json
        n = f"{_number(value.get('n_treatment'))} vs {_number(value.get('n_control'))}"
        yield _row(
            f"{name} (change)",
            _number(value["delta"], signed=True),
            _interval(interval.get("lower"), interval.get("upper"), signed=True),
            _level(interval.get("level")),
            n=n,
            test=_test_note(value),
        )
    elif "slope_per_day" in value and interval:  # trend_json
        yield _row(
            f"{name} (slope per day)",
            _number(value["slope_per_day"], signed=True),
            _interval(interval.get("lower"), interval.get("upper"), signed=True),
            _level(interval.get("level")),
            n=_number(value.get("n")),
            test=_test_note(value),
        )
    elif "value" in value and ("lower" in value or "upper" in value):  # estimate_json
        yield _row(
            name,
            _number(value["value"]),
            _interval(value.get("lower"), value.get("upper")),
            _level(value.get("level")),
            n=_number(value.get("n")),
        )
    else:
        yield from _figures(value, where)


def figure_rows(evidence: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every figure of the evidence: estimates and differences with their interval first, then plain numbers."""
    rows = list(_figures(evidence, ()))
    return sorted(rows, key=lambda row: row["interval"] == "—")  # stable: the stored order within each group


def context_lines(evidence: Mapping[str, Any]) -> list[str]:
    """What the figures are about: versions, windows, the metric (plain values, no statistics)."""
    lines = []
    for key, title in _CONTEXT.items():
        value = evidence.get(key)
        if value is None or isinstance(value, Mapping):
            continue
        if isinstance(value, list):
            value = " → ".join(_moment(str(v)) for v in value)
        elif isinstance(value, str):
            value = _moment(value)
        elif isinstance(value, bool):
            value = "yes" if value else "no (before vs after the move)"
        lines.append(f"{title}: {value}")
    return lines


def _moment(text: str) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM UTC``; any other text as it is."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    if parsed.tzinfo is None or "T" not in text:
        return text
    return f"{parsed.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


# --- chart ---------------------------------------------------------------------------------------


def _local(moment: str, tz: str) -> datetime:
    """An ISO time (with offset) as a naive local time on the chart's axis of local days."""
    parsed = datetime.fromisoformat(moment)
    return parsed.astimezone(ZoneInfo(tz)).replace(tzinfo=None) if parsed.tzinfo else parsed


def _threshold_line(figure: go.Figure, value: float, *, percent: bool) -> None:
    figure.add_hline(
        y=value,
        line={"color": FLAG_COLOUR, "width": 1, "dash": "dash"},
        annotation_text=f"threshold {value:.0%}" if percent else f"threshold {value:g}",
        annotation_position="bottom right",
        annotation_font={"size": 10, "color": FLAG_COLOUR},
    )


def _flagged(figure: go.Figure, x: list[str], values: list[Any], flagged: list[str], *, fmt: str) -> None:
    by_day = dict(zip(x, values, strict=False))
    days = [d for d in flagged if by_day.get(d) is not None]
    figure.add_trace(
        go.Scatter(
            x=days,
            y=[by_day[d] for d in days],
            name="anomalous day",
            mode="markers",
            marker={"color": FLAG_COLOUR, "size": 12, "symbol": "circle-open", "line": {"width": 3}},
            hovertemplate=f"anomalous: %{{y:{fmt}}}<extra></extra>",
        )
    )


def _before_after(figure: go.Figure, evidence: Mapping[str, Any], tz: str) -> None:
    """The regression's baseline and candidate means over their windows: the before/after comparison."""
    for which, colour in (("baseline", BEFORE_COLOUR), ("candidate", AFTER_COLOUR)):
        window, mean = evidence.get(f"{which}_window"), evidence.get(f"{which}_accuracy")
        if not (isinstance(window, list) and len(window) == 2 and mean is not None):
            continue
        version = evidence.get(f"{which}_version", which)
        figure.add_trace(
            go.Scatter(
                x=[_local(window[0], tz).isoformat(), _local(window[1], tz).isoformat()],
                y=[mean, mean],
                name=f"{version} mean ({'before' if which == 'baseline' else 'after'} the move)",
                mode="lines",
                line={"color": colour, "width": 3, "dash": "dash"},
                hovertemplate=f"{version}: mean %{{y:.1%}}<extra></extra>",
            )
        )


def _line_figure(chart: Mapping[str, Any], evidence: Mapping[str, Any], tz: str) -> go.Figure | None:
    x = [str(day) for day in chart.get("x") or []]
    series: Mapping[str, list[Any]] = chart.get("series") or {}
    if not x or not series:
        return None
    y_label = str(chart.get("y_label") or "value")
    percent = y_label in PERCENT_SERIES
    fmt = ".1%" if percent else ",.4g"
    days = (date.fromisoformat(x[0][:10]), date.fromisoformat(x[-1][:10]))
    figure = new_figure(
        CHART_TITLES.get(y_label, y_label), days=days, y_title=y_label.replace("_", " "), percent=percent
    )
    if y_label == "accuracy":
        figure.update_yaxes(rangemode="normal")  # small changes matter; do not squash them against 0
    for colour, (name, values) in zip(SERIES_COLOURS * 4, series.items(), strict=False):
        add_line(figure, x, values, name=name.replace("_", " "), color=colour, value_format=fmt)
    first = next(iter(series.values()))
    if chart.get("flagged"):
        _flagged(figure, x, first, [str(d) for d in chart["flagged"]], fmt=fmt)
    if isinstance(chart.get("threshold"), int | float):
        _threshold_line(figure, float(chart["threshold"]), percent=percent)
    if chart.get("marker"):
        label = evidence.get("label", "label")
        moved = f"{evidence.get('baseline_version', '?')} → {evidence.get('candidate_version', '?')}"
        at = _local(str(chart["marker"]), tz)
        add_markers(
            figure, [Marker(at=at, text=f"{label}: {moved}", hover=f"{label} moved {moved} at {at:%Y-%m-%d %H:%M}")]
        )
        _before_after(figure, evidence, tz)
    return figure


def _bar_errors(x: list[Any], chart: Mapping[str, Any], evidence: Mapping[str, Any]) -> dict[str, Any] | None:
    """The interval of one bar's estimate, if present: the chart's ``interval`` names the bar and the
    evidence key of its estimate (default: the p95 among high-accuracy calls of budget evidence)."""
    where = chart.get("interval") if isinstance(chart.get("interval"), Mapping) else {}
    label = str(where.get("bar") or "p95 (high accuracy)")
    p95 = evidence.get(str(where.get("evidence") or "p95_high_accuracy"))
    if label not in x or not isinstance(p95, Mapping) or p95.get("lower") is None or p95.get("upper") is None:
        return None
    at = x.index(label)
    value = p95.get("value") or 0.0
    upper = [p95["upper"] - value if i == at else 0.0 for i in range(len(x))]
    lower = [value - p95["lower"] if i == at else 0.0 for i in range(len(x))]
    return {"type": "data", "symmetric": False, "array": upper, "arrayminus": lower, "color": MARKER_COLOR}


def _bar_figure(chart: Mapping[str, Any], evidence: Mapping[str, Any]) -> go.Figure | None:
    x, values = list(chart.get("x") or []), list(chart.get("values") or [])
    if not x or len(x) != len(values):
        return None
    figure = go.Figure(
        go.Bar(
            x=x,
            y=values,
            marker={"color": [FLAG_COLOUR if i == 0 else MARKER_COLOR for i in range(len(x))]},
            error_y=_bar_errors(x, chart, evidence),
            text=[f"{v:,.0f}" if isinstance(v, int | float) else "—" for v in values],
            textposition="inside",
            hovertemplate="%{x}: %{y:,.0f}<extra></extra>",
        )
    )
    figure.update_layout(
        title={"text": str(chart.get("title") or "Token budget against use (prompt tokens; 95 % interval)")},
        height=320,
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        yaxis={"title": {"text": str(chart.get("y_label") or "tokens")}, "rangemode": "tozero"},
    )
    return figure


def evidence_chart(evidence: Mapping[str, Any], *, tz: str) -> go.Figure | None:
    """The evidence's ``chart`` as a figure, or None when it carries no (usable) chart data."""
    chart = evidence.get("chart")
    if not isinstance(chart, Mapping):
        return None
    if chart.get("type") == "line":
        return _line_figure(chart, evidence, tz)
    if chart.get("type") == "bar":
        return _bar_figure(chart, evidence)
    return None


# --- rendering -----------------------------------------------------------------------------------


def _days_table(days: list[Mapping[str, Any]]) -> None:
    st.markdown("**Flagged days**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "day": d.get("day"),
                    "value": _number(d.get("value")),
                    "typical (median)": _number(d.get("expected")),
                    "robust z": _number(d.get("robust_z")),
                    "executions": d.get("executions"),
                }
                for d in days
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def _pattern(pattern: Mapping[str, Any]) -> None:
    if pattern.get("terms"):
        st.caption("What the corrections change: " + ", ".join(literal(str(t)) for t in pattern["terms"]))
    examples = pattern.get("examples") or []
    if examples:
        st.markdown("**Representative corrections**")
        st.dataframe(pd.DataFrame(examples), hide_index=True, width="stretch")


def render_insight_evidence(evidence: Mapping[str, Any], *, tz: str, key: str) -> None:
    figure = evidence_chart(evidence, tz=tz)
    if figure is not None:
        st.plotly_chart(figure, config=PLOTLY_CONFIG, key=f"{key}_chart")
    rows = figure_rows(evidence)
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"{key}_figures")
    else:
        st.caption("No figures attached.")
    context = context_lines(evidence)
    if context:
        st.caption(" · ".join(context))
    if isinstance(evidence.get("days"), list) and evidence["days"]:
        _days_table(evidence["days"])
    if isinstance(evidence.get("pattern"), Mapping):
        _pattern(evidence["pattern"])
