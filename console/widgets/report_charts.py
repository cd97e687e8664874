"""Charts of the weekly report, drawn from the chart data it stores (``core.recommend.report``).

* ``forest``: one row per section — its adjusted accuracy effect with the 95 % interval, against a
  reference line (0: no effect); rows without an estimate (not testable) are listed, not drawn.
* ``interval_bar``: one row per section combination — its standardized accuracy with the interval
  (drawn as points with interval bars).

Builders are pure (chart data in, figure out) so the Recommendations page can reuse them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

POINT, REFERENCE = "#1f77b4", "#7f7f7f"


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _drawable(rows: Sequence[Mapping[str, Any]], estimate: str) -> list[Mapping[str, Any]]:
    return [r for r in rows if _finite(r.get(estimate)) and _finite(r.get("lower")) and _finite(r.get("upper"))]


def _errors(rows: Sequence[Mapping[str, Any]], estimate: str) -> dict[str, Any]:
    return {
        "type": "data",
        "symmetric": False,
        "array": [r["upper"] - r[estimate] for r in rows],
        "arrayminus": [r[estimate] - r["lower"] for r in rows],
        "thickness": 2,
        "width": 6,
    }


def wrap_label(label: str, *, per_line: int = 3) -> str:
    """A long section set (``a + b + c + d``) on several lines, ``per_line`` sections each."""
    parts = label.split(" + ")
    lines = [" + ".join(parts[i : i + per_line]) for i in range(0, len(parts), per_line)]
    return " +<br>".join(lines)


def _layout(figure: go.Figure, title: str, rows: int, x_title: str, *, lines: int = 1) -> None:
    figure.update_layout(
        title={"text": title},
        height=max(220, 90 + 30 * rows * lines),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        xaxis={"title": {"text": x_title}, "zeroline": False},
        yaxis={"autorange": "reversed", "automargin": True},
        showlegend=False,
    )


def forest_figure(chart: Mapping[str, Any], *, title: str) -> go.Figure | None:
    """Effects with their intervals (horizontal), a dotted line at the reference; None if nothing to draw."""
    rows = _drawable(chart.get("rows") or [], "estimate")
    if not rows:
        return None
    q_text = ["n/a" if r.get("q_value") is None else f"{r['q_value']:.3g}" for r in rows]
    figure = go.Figure(
        go.Scatter(
            x=[r["estimate"] for r in rows],
            y=[str(r["label"]) for r in rows],
            mode="markers",
            marker={"color": POINT, "size": 9},
            error_x=_errors(rows, "estimate"),
            customdata=[[r["lower"], r["upper"], q] for r, q in zip(rows, q_text, strict=True)],
            hovertemplate=(
                "%{y}: %{x:+.4f}<br>95 % CI %{customdata[0]:+.4f} to %{customdata[1]:+.4f}"
                "<br>q = %{customdata[2]}<extra></extra>"
            ),
        )
    )
    reference = chart.get("reference", 0.0)
    if _finite(reference):
        figure.add_vline(x=reference, line={"color": REFERENCE, "width": 1, "dash": "dot"})
    _layout(figure, title, len(rows), "accuracy effect (adjusted, observational)")
    return figure


def interval_bar_figure(chart: Mapping[str, Any], *, title: str) -> go.Figure | None:
    """Standardized accuracy per section set with its interval; None if nothing to draw.

    Drawn as points with interval bars, not as bars: the axis does not start at 0, and a bar cut
    off at an arbitrary point would exaggerate the differences.
    """
    rows = _drawable(chart.get("rows") or [], "value")
    if not rows:
        return None
    figure = go.Figure(
        go.Scatter(
            x=[r["value"] for r in rows],
            y=[wrap_label(str(r["label"])) for r in rows],
            mode="markers",
            marker={"color": POINT, "size": 9, "symbol": "square"},
            error_x=_errors(rows, "value"),
            customdata=[[r["lower"], r["upper"], r.get("n")] for r in rows],
            hovertemplate=(
                "%{y}: %{x:.1%}<br>95 % CI %{customdata[0]:.1%} – %{customdata[1]:.1%}"
                "<br>n = %{customdata[2]:,}<extra></extra>"
            ),
        )
    )
    lines = max(wrap_label(str(r["label"])).count("<br>") + 1 for r in rows)
    _layout(figure, title, len(rows), "accuracy (standardized to the segment mix)", lines=lines)
    figure.update_xaxes(tickformat=".0%")
    return figure


def not_drawn(chart: Mapping[str, Any], estimate: str) -> list[str]:
    """Labels of the rows without an estimate or interval (e.g. a section that could not be tested)."""
    drawn = {id(r) for r in _drawable(chart.get("rows") or [], estimate)}
    return [str(r.get("label")) for r in chart.get("rows") or [] if id(r) not in drawn]
