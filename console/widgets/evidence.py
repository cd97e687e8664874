"""The evidence of a change request as a reviewer reads it (Approvals page).

See :mod:`core.governance.evidence` for the document: a summary, figures each with its interval,
the statistics automation is gated on, links to insights / recommendations / reports /
experiments, and what governance added (guardrail findings, risk class; the diff is shown by
:mod:`console.widgets.diff_view` from the versions themselves).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import streamlit as st

_KNOWN = {"summary", "links", "figures", "stats", "diff", "guardrails", "risk_class"}
_LINK_NAMES = {
    "insight_ids": "insight",
    "recommendation_ids": "recommendation",
    "report_ids": "report",
    "experiment_ids": "experiment",
}


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return f"{float(value):.4g}"


def figure_rows(figures: list[dict[str, Any]]) -> list[dict[str, str]]:
    """One row per figure: the estimate with its interval, confidence level and sample size."""
    rows = []
    for figure in figures:
        lower, upper = figure.get("lower"), figure.get("upper")
        interval = f"[{_number(lower)}, {_number(upper)}]" if lower is not None or upper is not None else "—"
        level = figure.get("level")
        rows.append(
            {
                "figure": str(figure.get("name", "")),
                "estimate": _number(figure.get("estimate")),
                "interval": interval,
                "level": f"{float(level):.0%}" if level is not None else "—",
                "n": _number(figure.get("n")),
                "unit": str(figure.get("unit") or ""),
            }
        )
    return rows


def guardrail_messages(findings: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``(severity, message)`` per guardrail finding: removing or demoting needs an admin and a reason."""
    findings = findings or {}
    messages = []
    weakened = list(findings.get("removed") or []) + list(findings.get("demoted") or [])
    if findings.get("removed"):
        messages.append(("error", f"Removes guardrail section(s): {', '.join(findings['removed'])}."))
    if findings.get("demoted"):
        messages.append(("error", f"Demotes guardrail section(s): {', '.join(findings['demoted'])}."))
    if weakened:
        messages.append(("error", "Approving this change needs an admin and a comment giving the reason."))
    if findings.get("rewritten"):
        messages.append(("warning", f"Rewrites guardrail section(s): {', '.join(findings['rewritten'])}."))
    return messages


def render_evidence(evidence: dict[str, Any]) -> None:
    summary = str(evidence.get("summary") or "").strip()
    st.markdown(f"**Evidence:** {summary}" if summary else "**Evidence:** no summary given.")
    for severity, message in guardrail_messages(evidence.get("guardrails")):
        getattr(st, severity)(message, icon=":material/shield:")
    figures = evidence.get("figures") or []
    if figures:
        st.dataframe(pd.DataFrame(figure_rows(figures)), hide_index=True, width="stretch")
    else:
        st.caption("No figures attached.")
    stats = evidence.get("stats")
    if stats:
        st.caption(
            f"Smallest compared group: n = {_number(stats.get('min_group_size'))} · "
            f"confidence {_number(stats.get('confidence'))}"
            + (f" · method: {stats['method']}" if stats.get("method") else "")
        )
    links = evidence.get("links") or {}
    linked = [f"{_LINK_NAMES.get(kind, kind)} #{ident}" for kind, idents in links.items() if idents for ident in idents]
    if linked:
        st.caption("Linked: " + ", ".join(linked))
    if evidence.get("risk_class"):
        st.caption(f"Risk class: {evidence['risk_class']} (eligible for auto-apply where an admin enabled it)")
    extra = {k: v for k, v in evidence.items() if k not in _KNOWN}
    if extra:
        with st.expander("Other evidence"):
            st.code(json.dumps(extra, indent=2, sort_keys=True, default=str), language="json")
