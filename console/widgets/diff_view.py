"""A side-by-side, section-aware diff of two prompt versions (Prompts and Approvals pages).

Built on :mod:`core.registry.diff`: a one-line summary per change, then every section in the new
order next to its old text, marked added / removed / changed / moved / unchanged, with the line
diff inside each changed section; then policy and field changes, and the whole canonical text
side by side and as a unified diff for those who want all of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from core.registry import diff as diffs

_STATUS_ICON = {
    "added": ":green[**added**]",
    "removed": ":red[**removed**]",
    "changed": ":orange[**changed**]",
    "moved": ":blue[**moved**]",
    "unchanged": ":gray[unchanged]",
}
_ROW_COLOURS = {
    "equal": "",
    "replace": "background-color: rgba(255, 193, 7, 0.18)",
    "delete": "background-color: rgba(244, 67, 54, 0.15)",
    "insert": "background-color: rgba(76, 175, 80, 0.15)",
}


@dataclass(frozen=True)
class SectionRow:
    """One section of either version, in display order (the new order, removed ones where they were)."""

    section_id: str
    status: str  # added | removed | changed | moved | unchanged
    kind_before: str | None
    kind_after: str | None
    text_before: str | None
    text_after: str | None
    line_diff: tuple[str, ...]


def section_rows(before: dict[str, Any], after: dict[str, Any], result: diffs.VersionDiff) -> list[SectionRow]:
    """Sections of both versions with their status, in the new order; removed ones after their predecessor."""
    old = {s["id"]: s for s in before["sections"]}
    new = {s["id"]: s for s in after["sections"]}
    changed = {c.section_id: c for c in result.changed}
    order = list(result.order_after)
    for position, sid in enumerate(result.order_before):  # slot removed sections in after their old neighbour
        if sid in new:
            continue
        previous = result.order_before[position - 1] if position else None
        order.insert(order.index(previous) + 1 if previous in order else 0, sid)
    rows = []
    for sid in order:
        if sid not in old:
            status = "added"
        elif sid not in new:
            status = "removed"
        elif sid in changed:
            status = "changed"
        elif sid in result.reordered:
            status = "moved"
        else:
            status = "unchanged"
        rows.append(
            SectionRow(
                section_id=sid,
                status=status,
                kind_before=old[sid]["kind"] if sid in old else None,
                kind_after=new[sid]["kind"] if sid in new else None,
                text_before=old[sid]["text"] if sid in old else None,
                text_after=new[sid]["text"] if sid in new else None,
                line_diff=changed[sid].text_diff if sid in changed else (),
            )
        )
    return rows


def render_diff(
    before: dict[str, Any] | None,
    after: dict[str, Any],
    *,
    before_name: str,
    after_name: str,
    key: str,
) -> None:
    """Show how ``after`` differs from ``before`` (None: ``after`` is new, e.g. a label's first version)."""
    if before is None:
        st.info(f"{after_name} is new here: there is no earlier version to compare with.")
        st.code("\n".join(diffs.canonical_text(after)), language=None)
        return
    result = diffs.diff_contents(before, after)
    if result.is_empty:
        st.success(f"{before_name} and {after_name} have the same content.")
        return
    st.markdown(
        f"**{before_name} → {after_name}:** {len(result.changed)} changed · {len(result.added)} added · "
        f"{len(result.removed)} removed · {len(result.reordered)} reordered section(s)"
    )
    st.markdown("\n".join(f"- `{line}`" for line in result.summary()))
    show_unchanged = st.toggle("Show unchanged sections", key=f"{key}_unchanged")
    left, right = st.columns(2)
    left.markdown(f"**{before_name}**")
    right.markdown(f"**{after_name}**")
    for row in section_rows(before, after, result):
        if row.status == "unchanged" and not show_unchanged:
            continue
        _section(row)
    if result.policy or result.fields:
        st.markdown("**Policy and other fields**")
        st.dataframe(
            pd.DataFrame(
                [{"field": f"policy.{c.field}", "before": str(c.before), "after": str(c.after)} for c in result.policy]
                + [{"field": c.field, "before": _short(c.before), "after": _short(c.after)} for c in result.fields]
            ),
            hide_index=True,
            width="stretch",
        )
    with st.expander("Whole text, side by side"):
        rows = diffs.side_by_side(before, after)
        frame = pd.DataFrame(
            [{before_name: r.left or "", after_name: r.right or "", "change": r.tag} for r in rows],
        )
        styled = frame.style.apply(lambda line: [_ROW_COLOURS[line["change"]]] * len(line), axis=1)
        st.dataframe(styled, hide_index=True, width="stretch", height=min(600, 38 + 35 * len(frame)))
    with st.expander("Unified diff"):
        st.code(diffs.unified_diff(before, after, name_before=before_name, name_after=after_name), language="diff")


def _section(row: SectionRow) -> None:
    kinds = row.kind_after or row.kind_before
    if row.kind_before and row.kind_after and row.kind_before != row.kind_after:
        kinds = f"{row.kind_before} → {row.kind_after}"
    st.markdown(f"`{row.section_id}` ({kinds}) · {_STATUS_ICON[row.status]}")
    left, right = st.columns(2)
    with left:
        if row.text_before is None:
            st.caption("— not in this version —")
        else:
            st.code(row.text_before, language=None, wrap_lines=True)
    with right:
        if row.text_after is None:
            st.caption("— removed —")
        else:
            st.code(row.text_after, language=None, wrap_lines=True)
    if row.line_diff:
        with st.expander(f"Line diff of {row.section_id}", expanded=True):
            st.code("\n".join(row.line_diff), language="diff")


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:197] + "…"
