"""A recommendation's figures as the Recommendations page shows them: the effect with its 95 %
interval, q-value, confidence and sample sizes, per kind (evidence shapes of ``core.recommend.gating``).

* section ADD / REMOVE: the adjusted accuracy effect of including the section, n with / without;
* section combination: the best set's standardized accuracy minus the most used set's, n of each;
* token budget: the budget change; its evidence is the p95 of prompt tokens among high-accuracy
  calls with its interval (not a test: no q-value).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from console.widgets.report_charts import forest_figure, interval_bar_figure
from core.recommend.store import RecommendationView

KIND_NAMES = {
    "section_add": "add section",
    "section_remove": "remove section",
    "token_budget": "token budget",
    "section_combination": "section combination",
}
PLOTLY_CONFIG = {"displaylogo": False}


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _signed(value: Any) -> str:
    return f"{value:+.4f}" if _finite(value) else "—"


def _count(value: Any) -> str:
    return f"{int(value):,}" if _finite(value) else "—"


@dataclass(frozen=True)
class Headline:
    effect: str
    interval: str
    q_value: str
    confidence: str
    sample_sizes: str


def headline(view: RecommendationView) -> Headline:
    e = view.evidence
    q = f"{view.q_value:.3g}" if view.q_value is not None else "—"
    confidence = f"{view.confidence:.3f}" if view.confidence is not None else "—"
    if view.kind == "token_budget":
        p95: Mapping[str, Any] = e.get("p95_high_accuracy") or {}
        return Headline(
            effect=f"{_count(e.get('current_budget'))} → {_count(e.get('suggested_budget'))} tokens",
            interval=f"p95 {_count(p95.get('value'))} [{_count(p95.get('lower'))}, {_count(p95.get('upper'))}]",
            q_value=q,
            confidence=confidence,
            sample_sizes=f"{_count(e.get('high_accuracy_executions'))} high-accuracy calls",
        )
    interval: Mapping[str, Any] = e.get("interval") or {}
    ci = f"[{_signed(interval.get('lower'))}, {_signed(interval.get('upper'))}]"
    if view.kind == "section_combination":
        best, used = e.get("best") or {}, e.get("most_used") or {}
        sizes = f"{_count(best.get('executions'))} best / {_count(used.get('executions'))} most used"
        return Headline(_signed(e.get("delta")), ci, q, confidence, sizes)
    sizes = f"{_count(e.get('n_included'))} with / {_count(e.get('n_excluded'))} without"
    return Headline(_signed(e.get("effect")), ci, q, confidence, sizes)


def figure_rows(view: RecommendationView) -> list[dict[str, str]]:
    """The detail view's figures, each with its interval where it has one."""
    e = view.evidence
    rows: list[dict[str, str]] = []
    if view.kind in ("section_add", "section_remove"):
        iv = e.get("interval") or {}
        n = (e.get("n_included") or 0) + (e.get("n_excluded") or 0)
        effect = _signed(e.get("effect"))
        rows.append(_row(f"accuracy effect of {e.get('section')} (adjusted)", effect, iv, n=n, fmt=_signed))
        rows.append(_row("accuracy effect, unadjusted (naive)", _signed(e.get("naive_effect")), {}))
        rows.append(_row("p-value", _plain(e.get("p_value")), {}))
        rows.append(
            _row("strata used / dropped", f"{_count(e.get('strata_used'))} / {_count(e.get('strata_dropped'))}", {})
        )
    elif view.kind == "section_combination":
        for which in ("best", "most_used"):
            combo = e.get(which) or {}
            std = combo.get("standardized") or {}
            name = f"{which.replace('_', ' ')} set: {' + '.join(combo.get('sections') or []) or '(none)'}"
            rows.append(_row(name, _plain(std.get("value")), std, n=combo.get("executions")))
        rows.append(
            _row("difference (best − most used)", _signed(e.get("delta")), e.get("interval") or {}, fmt=_signed)
        )
        rows.append(_row("p-value", _plain(e.get("p_value")), {}))
    elif view.kind == "token_budget":
        p95 = e.get("p95_high_accuracy") or {}
        rows.append(
            _row("p95 of prompt tokens, high-accuracy calls", _count(p95.get("value")), p95, n=p95.get("n"), fmt=_count)
        )
        rows.append(_row("p95 of prompt tokens, all calls", _count(e.get("p95_all")), {}))
        rows.append(_row("current budget", _count(e.get("current_budget")), {}))
        rows.append(_row(f"suggested budget (p95 + {_margin(e)} margin)", _count(e.get("suggested_budget")), {}))
    return rows


def _margin(e: Mapping[str, Any]) -> str:
    return f"{e['margin']:.0%}" if _finite(e.get("margin")) else "a"


def _plain(value: Any) -> str:
    return f"{value:.4g}" if _finite(value) else "—"


def _row(
    name: str, estimate: str, interval: Mapping[str, Any], *, n: Any = None, fmt: Callable[[Any], str] = _plain
) -> dict[str, str]:
    lower, upper = interval.get("lower"), interval.get("upper")
    shown = f"[{fmt(lower)}, {fmt(upper)}]" if _finite(lower) or _finite(upper) else "—"
    level = interval.get("level")
    return {
        "figure": name,
        "estimate": estimate,
        "interval": shown,
        "level": f"{level:.0%}" if _finite(level) else "—",
        "n": _count(n) if n is not None else "",
    }


def render_recommendation_evidence(view: RecommendationView, *, key: str) -> None:
    """Figures with intervals, the effect drawn against no effect, and the method."""
    st.dataframe(pd.DataFrame(figure_rows(view)), hide_index=True, width="stretch", key=f"{key}_figures")
    e = view.evidence
    figure = None
    if view.kind in ("section_add", "section_remove"):
        iv = e.get("interval") or {}
        row = {
            "label": e.get("section"),
            "estimate": e.get("effect"),
            "lower": iv.get("lower"),
            "upper": iv.get("upper"),
            "q_value": view.q_value,
        }
        figure = forest_figure({"rows": [row], "reference": 0.0}, title="Accuracy effect with 95 % interval")
    elif view.kind == "section_combination":
        rows = []
        for which in ("best", "most_used"):
            combo = e.get(which) or {}
            label = " + ".join(combo.get("sections") or []) or "(none)"
            rows.append({"label": f"{which.replace('_', ' ')}: {label}", **(combo.get("standardized") or {})})
        figure = interval_bar_figure({"rows": rows}, title="Best vs most used section set (95 % intervals)")
    if figure is not None:
        st.plotly_chart(figure, config=PLOTLY_CONFIG, key=f"{key}_chart")
    if e.get("method"):
        st.caption(f"Method: {e['method']}")
    previous = e.get("previous_decision")
    if isinstance(previous, Mapping):
        st.caption(
            f"An earlier recommendation with the same key (#{previous.get('recommendation_id')}) was "
            f"{previous.get('status')} by {previous.get('by')} on {str(previous.get('at') or '')[:10]}"
            + (f": “{previous['note']}”" if previous.get("note") else ".")
        )
