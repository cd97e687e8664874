"""Daily trend figures of one prompt, built from ``core.analytics.summary.daily_series`` points.

Each builder is pure (points in, figure out); the page draws them with ``st.plotly_chart``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

import plotly.graph_objects as go

from console.widgets.charts import Marker, add_band, add_line, add_markers, new_figure
from core.analytics.summary import DailyPoint
from core.stats import Estimate

ACCURACY, CORRECTIONS, FAILURES = "#1f77b4", "#ff7f0e", "#d62728"
P50, P95, TOKENS, COMPLETION = "#2ca02c", "#9467bd", "#8c564b", "#17becf"
BANDS = {
    ACCURACY: "rgba(31,119,180,0.18)",
    CORRECTIONS: "rgba(255,127,14,0.18)",
    FAILURES: "rgba(214,39,40,0.15)",
}
CI_HOVER = "<br>95 % CI %{customdata[0]:.1%} – %{customdata[1]:.1%} · n %{customdata[2]:,}"

Days = tuple[date, date]


def _x(points: Sequence[DailyPoint]) -> list[str]:
    return [p.day.isoformat() for p in points]


def _estimate_series(
    figure: go.Figure, points: Sequence[DailyPoint], pick: Callable[[DailyPoint], Estimate], *, name: str, color: str
) -> None:
    x = _x(points)
    estimates = [pick(p) for p in points]
    add_band(
        figure,
        x,
        [e.interval.lower for e in estimates],
        [e.interval.upper for e in estimates],
        name=f"{name} 95 % interval",
        fill=BANDS[color],
    )
    add_line(
        figure,
        x,
        [e.value for e in estimates],
        name=name,
        color=color,
        value_format=".1%",
        customdata=[[e.interval.lower, e.interval.upper, e.n] for e in estimates],
        extra_hover=CI_HOVER,
    )


def accuracy_figure(points: Sequence[DailyPoint], markers: Sequence[Marker], days: Days) -> go.Figure:
    figure = new_figure("Accuracy (daily mean, 95 % interval)", days=days, y_title="accuracy", percent=True)
    figure.update_yaxes(rangemode="normal")  # small daily changes matter; do not squash them against 0
    _estimate_series(figure, points, lambda p: p.summary.accuracy, name="Accuracy", color=ACCURACY)
    add_markers(figure, markers)
    return figure


def rates_figure(points: Sequence[DailyPoint], markers: Sequence[Marker], days: Days) -> go.Figure:
    figure = new_figure("Correction and failure rates (95 % intervals)", days=days, y_title="share", percent=True)
    _estimate_series(figure, points, lambda p: p.summary.correction_rate, name="Correction rate", color=CORRECTIONS)
    _estimate_series(figure, points, lambda p: p.summary.failure_rate, name="Failure rate", color=FAILURES)
    add_markers(figure, markers)
    return figure


def volume_figure(points: Sequence[DailyPoint], markers: Sequence[Marker], days: Days) -> go.Figure:
    """Executions per day; days without data between the first and the last one count as 0."""
    figure = new_figure("Volume (executions per day)", days=days, y_title="executions")
    counts = {p.day: p.stats.executions for p in points}
    x: list[str] = []
    y: list[int] = []
    if points:
        day = points[0].day
        while day <= points[-1].day:
            x.append(day.isoformat())
            y.append(counts.get(day, 0))
            day += timedelta(days=1)
    figure.add_trace(
        go.Bar(
            x=x, y=y, name="Executions", marker={"color": ACCURACY}, hovertemplate="%{y:,} executions<extra></extra>"
        )
    )
    add_markers(figure, markers)
    return figure


def latency_figure(points: Sequence[DailyPoint], markers: Sequence[Marker], days: Days) -> go.Figure:
    figure = new_figure("Latency (ms)", days=days, y_title="ms")
    x = _x(points)
    add_line(figure, x, [p.summary.latency_p50_ms for p in points], name="p50", color=P50, value_format=",.0f")
    add_line(figure, x, [p.summary.latency_p95_ms for p in points], name="p95", color=P95, value_format=",.0f")
    add_markers(figure, markers)
    return figure


def tokens_figure(points: Sequence[DailyPoint], markers: Sequence[Marker], days: Days) -> go.Figure:
    figure = new_figure("Tokens per execution", days=days, y_title="tokens")
    x = _x(points)
    add_line(
        figure, x, [p.summary.mean_prompt_tokens for p in points], name="Prompt (mean)", color=TOKENS,
        value_format=",.0f",
    )  # fmt: skip
    add_line(
        figure, x, [p.summary.prompt_tokens_p95 for p in points], name="Prompt (p95)", color=P95, value_format=",.0f"
    )
    add_line(
        figure, x, [p.stats.completion_tokens_sum / p.stats.executions if p.stats.executions else None for p in points],
        name="Completion (mean)", color=COMPLETION, value_format=",.0f",
    )  # fmt: skip
    add_markers(figure, markers)
    return figure
