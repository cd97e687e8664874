"""Headline figures of a period with their 95 % intervals and the change against the previous period.

:func:`headline_figures` is pure (sufficient statistics in, display strings out); :func:`show_headline`
draws them as ``st.metric`` with the interval as a caption underneath and the change's own interval
in the tooltip. Period-over-period changes are descriptive: traffic mix and time differ between the
two periods, so they are no evidence of what caused a change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import streamlit as st

from core.analytics.cells import CellStats
from core.analytics.summary import summarize
from core.stats import Code, Comparison, Estimate, two_proportion_test, welch_test

Color = Literal["normal", "inverse", "off"]
METHODS = {"welch_t": "Welch t-test", "two_proportion_z": "two-proportion z-test"}


@dataclass(frozen=True)
class Headline:
    label: str
    value: str | None
    delta: str | None = None
    delta_color: Color = "off"
    caption: str = ""
    help: str = ""

    @property
    def delta_arrow(self) -> Literal["auto", "off"]:
        return "off" if self.delta is not None and self.delta.lstrip("+-−").startswith("0.0") else "auto"


def percent(value: float) -> str:
    return f"{value:.1%}"


def millis(value: float) -> str:
    return f"{value:,.0f} ms" if value < 10_000 else f"{value / 1000:,.1f} s"


def count(value: float) -> str:
    return f"{value:,.0f}"


def interval_caption(estimate: Estimate) -> str:
    if estimate.code in (Code.OK, Code.ZERO_VARIANCE):
        return f"95 % CI {percent(estimate.interval.lower)} – {percent(estimate.interval.upper)}"
    return "95 % CI: too few executions"


def _points(current: float, previous: float) -> str | None:
    if math.isnan(current) or math.isnan(previous):
        return None
    return f"{(current - previous) * 100:+.1f} pp"


def _relative(current: float | None, previous: float | None) -> str | None:
    if current is None or not previous:
        return None
    return f"{current / previous - 1:+.1%}"


def _change_help(what: str, comparison: Comparison, previous_days: int) -> str:
    if comparison.code is not Code.OK:
        return f"{what}. No comparable traffic in the previous {previous_days} days."
    lo, hi = comparison.interval.lower * 100, comparison.interval.upper * 100
    method = METHODS.get(comparison.method, comparison.method)
    return (
        f"{what}. Change vs the previous {previous_days} days: {comparison.delta * 100:+.1f} pp, "
        f"95 % CI {lo:+.1f} to {hi:+.1f} pp ({method}; descriptive — the mix of traffic differs between periods)."
    )


def headline_figures(current: CellStats, previous: CellStats, *, days: int, active_days: int) -> list[Headline]:
    """Executions, accuracy, correction / failure rates, latency p50 / p95 and prompt tokens.

    ``days`` is the length of the period (and of the previous one), ``active_days`` how many of its
    days hold traffic.
    """
    now, before = summarize(current), summarize(previous)
    acc, corr, fail = now.accuracy, now.correction_rate, now.failure_rate
    return [
        Headline(
            "Executions",
            count(now.executions),
            _relative(now.executions, before.executions),
            caption=f"{now.executions / max(active_days, 1):,.0f} per day over {active_days} days with traffic",
            help=f"Executions recorded in the period ({days} days).",
        ),
        Headline(
            "Accuracy",
            None if math.isnan(acc.value) else percent(acc.value),
            _points(acc.value, before.accuracy.value),
            "normal",
            interval_caption(acc),
            _change_help(
                f"Mean effective accuracy over the {acc.n:,} executions that have one (t interval)",
                welch_test(previous.accuracy, current.accuracy),
                days,
            ),
        ),
        Headline(
            "Correction rate",
            None if math.isnan(corr.value) else percent(corr.value),
            _points(corr.value, before.correction_rate.value),
            "inverse",
            interval_caption(corr),
            _change_help(
                "Share of executions a user corrected (Wilson interval)",
                two_proportion_test(previous.correction_rate, current.correction_rate),
                days,
            ),
        ),
        Headline(
            "Failure rate",
            None if math.isnan(fail.value) else percent(fail.value),
            _points(fail.value, before.failure_rate.value),
            "inverse",
            interval_caption(fail),
            _change_help(
                "Share of executions that failed (Wilson interval)",
                two_proportion_test(previous.failure_rate, current.failure_rate),
                days,
            ),
        ),
        _optional("Latency p50", now.latency_p50_ms, before.latency_p50_ms, millis, "inverse"),
        _optional("Latency p95", now.latency_p95_ms, before.latency_p95_ms, millis, "inverse"),
        Headline(
            "Prompt tokens",
            None if now.mean_prompt_tokens is None else count(now.mean_prompt_tokens),
            _relative(now.mean_prompt_tokens, before.mean_prompt_tokens),
            "inverse",
            f"p95 {count(now.prompt_tokens_p95)} · max {count(now.prompt_tokens_max)}"
            if now.prompt_tokens_p95 is not None
            else "",
            "Mean prompt tokens per execution; p95 read from the rollups' histograms (±12 %).",
        ),
    ]


def _optional(
    label: str, now: float | None, before: float | None, render: Callable[[float], str], color: Color
) -> Headline:
    return Headline(
        label,
        None if now is None else render(now),
        _relative(now, before),
        color,
        help="Read from the rollups' log-scale latency histograms (±12 %).",
    )


def show_headline(figures: Sequence[Headline], *, days: int) -> None:
    for column, figure in zip(st.columns(len(figures)), figures, strict=True):
        with column:
            st.metric(
                figure.label,
                figure.value,
                figure.delta,
                delta_color="off" if figure.delta_arrow == "off" else figure.delta_color,
                delta_arrow=figure.delta_arrow,
                delta_description=f"vs previous {days} d" if figure.delta is not None else None,
                help=figure.help or None,
            )
            if figure.caption:
                st.caption(figure.caption)
