"""Plotly building blocks for daily trend charts: lines, 95 % interval bands and label-move markers.

Series are plain lists (not numpy arrays) so a figure's JSON spec stays readable, and undefined
values (``nan``) become ``None`` so Plotly leaves a gap instead of drawing a wrong point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from core.registry.labels import LabelHistoryEntry

MARKER_COLOR = "#7f7f7f"


@dataclass(frozen=True)
class Marker:
    """A vertical marker: a label move, at its local time."""

    at: datetime  # naive, local to the chart's time zone (the x axis is local days)
    text: str
    hover: str


def label_markers(moves: Iterable[LabelHistoryEntry], *, start: datetime, end: datetime, tz: str) -> list[Marker]:
    """Markers for the moves in ``[start, end)`` (UTC-aware bounds)."""
    zone = ZoneInfo(tz)
    markers = []
    for move in moves:
        if not start <= move.moved_at < end:
            continue
        local = move.moved_at.astimezone(zone)
        what = "rolled back" if move.kind == "rollback" else "moved"
        markers.append(
            Marker(
                at=local.replace(tzinfo=None),
                text=f"{move.label} → {move.to_version}",
                hover=(
                    f"<b>{move.label}</b> {what}: {move.from_version or '(new)'} → {move.to_version}<br>"
                    f"{local:%Y-%m-%d %H:%M} ({tz})<br>by {move.actor}: {move.reason}"
                ),
            )
        )
    return markers


def clean(values: Iterable[float | int | None]) -> list[float | int | None]:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def new_figure(title: str, *, days: tuple[date, date], y_title: str, percent: bool = False) -> go.Figure:
    """An empty daily chart whose x axis spans the period (so stacked charts line up)."""
    first, last = days
    figure = go.Figure()
    figure.update_layout(
        title={"text": title},
        height=320,
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        yaxis={"title": {"text": y_title}, "tickformat": ".0%" if percent else ",", "rangemode": "tozero"},
        xaxis={
            "type": "date",
            "range": [
                (datetime.combine(first, datetime.min.time()) - timedelta(hours=12)).isoformat(),
                (datetime.combine(last, datetime.min.time()) + timedelta(hours=12)).isoformat(),
            ],
        },
    )
    return figure


def add_line(
    figure: go.Figure,
    x: Sequence[str],
    y: Sequence[float | int | None],
    *,
    name: str,
    color: str,
    value_format: str,
    customdata: Sequence[Sequence[float | int | None]] | None = None,
    extra_hover: str = "",
) -> None:
    figure.add_trace(
        go.Scatter(
            x=list(x),
            y=clean(y),
            name=name,
            mode="lines+markers",
            line={"color": color, "width": 2},
            marker={"size": 5},
            customdata=[clean(row) for row in customdata] if customdata is not None else None,
            hovertemplate=f"{name} %{{y:{value_format}}}{extra_hover}<extra></extra>",
        )
    )


def add_band(
    figure: go.Figure,
    x: Sequence[str],
    lower: Sequence[float | None],
    upper: Sequence[float | None],
    *,
    name: str,
    fill: str,
) -> None:
    """A shaded band between ``lower`` and ``upper``: an invisible upper edge, then the lower edge filled up to it."""
    group = f"band:{name}"
    common = {"x": list(x), "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip", "legendgroup": group}
    figure.add_trace(go.Scatter(y=clean(upper), name=name, showlegend=False, **common))
    figure.add_trace(go.Scatter(y=clean(lower), name=name, fill="tonexty", fillcolor=fill, **common))


def add_markers(figure: go.Figure, markers: Iterable[Marker]) -> None:
    """Vertical dotted lines with a short label above the plot; the details show on hover."""
    for marker in markers:
        at = marker.at.isoformat()
        figure.add_shape(
            type="line",
            xref="x",
            yref="paper",
            x0=at,
            x1=at,
            y0=0,
            y1=1,
            line={"color": MARKER_COLOR, "width": 1, "dash": "dot"},
        )
        figure.add_annotation(
            x=at,
            xref="x",
            y=1,
            yref="paper",
            yanchor="bottom",
            text=marker.text,
            hovertext=marker.hover,
            showarrow=False,
            font={"size": 10, "color": MARKER_COLOR},
        )
