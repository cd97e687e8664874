"""Insights: what the hourly discovery found, filtered by prompt / priority / category / status (open
and acknowledged by default). Each insight shows its description, action items, when it was first
and last seen, its status history, and its evidence as figures with intervals and a chart; operators
acknowledge, resolve or dismiss it with a note (``core.governance.review`` checks the role and
records who and when; a note is required to dismiss)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from console import auth, state
from console.widgets.action_feedback import attempt, flash, show_flashes
from console.widgets.insight_evidence import render_insight_evidence
from console.widgets.text import literal
from core.db.models.audit import AuditEvent
from core.db.models.insights import CATEGORIES, INSIGHT_STATUSES, PRIORITIES
from core.governance.audit import list_events
from core.governance.review import InsightAction, review_insight
from core.governance.roles import Action, Principal, can
from core.insights.lifecycle import ACTIONS, InsightView, list_insights
from core.registry.prompts import list_prompts

ANY = "All prompts"
DEFAULT_STATUSES = ["open", "acknowledged"]
PRIORITY_COLOUR = {"critical": "red", "high": "orange", "medium": "blue", "low": "gray"}
STATUS_COLOUR = {"open": "orange", "acknowledged": "blue", "resolved": "green", "dismissed": "gray"}
STATUS_VERBS = {"open": "Opened", "acknowledged": "Acknowledged", "resolved": "Resolved", "dismissed": "Dismissed"}
VERBS = {"acknowledge": "Acknowledged", "resolve": "Resolved", "dismiss": "Dismissed"}
TRIAGE: tuple[tuple[InsightAction, str, str, str], ...] = (
    ("acknowledge", "Acknowledge", ":material/visibility:", "Seen; someone is looking into it."),
    ("resolve", "Resolve", ":material/check:", "Fixed. It reopens if the condition is found again."),
    ("dismiss", "Dismiss", ":material/block:", "Not a problem: it stays closed while the condition lasts."),
)
HOW_TO_DISCOVER = (
    "Insights come from the hourly discovery flow (`promptloop serve`), or run it once with "
    "`promptloop flows run insight_discovery`."
)


def when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if moment else "—"


def history_rows(events: Sequence[AuditEvent]) -> list[dict[str, object]]:
    """The insight's status changes, newest first: who, when, what and the note."""
    return [
        {
            "when": when(e.occurred_at),
            "who": e.actor,
            "what": e.action.removeprefix("insight."),
            "status": (e.after or {}).get("status", ""),
            "note": (e.after or {}).get("note", ""),
        }
        for e in events
    ]


st.title("Insights")
show_flashes()
principal = auth.current_principal()
tz = state.settings().timezone

with state.session() as session:
    prompt_names = [p.name for p in list_prompts(session)]
    anything = bool(list_insights(session, limit=1))
if not anything:
    st.info(f"No insights yet. {HOW_TO_DISCOVER}")
    st.stop()

columns = st.columns([2, 3, 2, 3])
prompt = columns[0].selectbox("Prompt", [ANY, *prompt_names], key="insights_prompt")
statuses = columns[1].multiselect(
    "Status", list(INSIGHT_STATUSES), default=DEFAULT_STATUSES, key="insights_status", placeholder="Any status"
)
priorities = columns[2].multiselect("Priority", list(PRIORITIES), key="insights_priority", placeholder="Any priority")
categories = columns[3].multiselect("Category", list(CATEGORIES), key="insights_category", placeholder="Any category")

with state.session() as session:
    insights = list_insights(
        session,
        prompt=None if prompt == ANY else prompt,
        status=statuses or None,
        priority=priorities or None,
        category=categories or None,
    )
if not insights:
    st.info("No insight matches these filters. Widen them (e.g. add the resolved and dismissed statuses).")
    st.stop()

st.dataframe(
    pd.DataFrame(
        [
            {
                "#": i.id,
                "priority": i.priority,
                "category": i.category,
                "prompt": i.prompt,
                "title": i.title,
                "status": i.status,
                "first seen": i.first_seen_at,
                "last seen": i.last_seen_at,
            }
            for i in insights
        ]
    ),
    hide_index=True,
    width="stretch",
)

by_id = {i.id: i for i in insights}
wanted = st.query_params.get("insight")
start = list(by_id).index(int(wanted)) if wanted and wanted.isdigit() and int(wanted) in by_id else 0
chosen = st.selectbox(
    "Insight",
    list(by_id),
    index=start,
    format_func=lambda iid: f"#{iid} · {by_id[iid].prompt} · {by_id[iid].title}",
    key="insights_selected",
)
insight: InsightView = by_id[chosen]
with state.session() as session:
    events = list_events(session, entity_type="insight", entity_id=str(insight.id))

# --- what it is ----------------------------------------------------------------------------------
st.subheader(literal(insight.title))
st.markdown(
    f":{PRIORITY_COLOUR[insight.priority]}-badge[{insight.priority}] :gray-badge[{insight.category}] "
    f":{STATUS_COLOUR[insight.status]}-badge[{insight.status}] on **{insight.prompt}**"
)
st.markdown(literal(insight.description))
seen = f"First seen {when(insight.first_seen_at)} · last seen {when(insight.last_seen_at)}"
if insight.times_opened > 1:
    seen += f" · opened {insight.times_opened} times"
condition = "the condition is still found" if insight.condition_present else "the condition has cleared"
st.caption(f"{seen} · {condition}")
if insight.status_by:
    note = f": “{insight.status_note}”" if insight.status_note else ""
    st.caption(f"{STATUS_VERBS[insight.status]} by {insight.status_by} on {when(insight.status_at)}{note}")

if insight.action_items:
    st.markdown("**What to do**")
    st.markdown("\n".join(f"1. {literal(item)}" for item in insight.action_items))

evidence_tab, history_tab = st.tabs(["Evidence", "Status history"])
with evidence_tab:
    render_insight_evidence(insight.evidence, tz=tz, key=f"insight_{insight.id}")
with history_tab:
    if events:
        st.dataframe(pd.DataFrame(history_rows(events)), hide_index=True, width="stretch")
    else:
        st.caption("No status changes recorded.")


# --- triage ----------------------------------------------------------------------------------------
def triage(principal: Principal, insight: InsightView) -> None:
    """Acknowledge / resolve / dismiss with a note; only the moves this status allows are enabled."""
    allowed = {action for action, (starts, _, _) in ACTIONS.items() if insight.status in starts}
    pressed: InsightAction | None = None
    with st.form(f"triage_{insight.id}"):
        note = st.text_area(
            "Note", key=f"insight_note_{insight.id}", placeholder="Required to dismiss (say why); optional otherwise."
        )
        for column, (action, label, icon, help_text) in zip(st.columns(len(TRIAGE)), TRIAGE, strict=True):
            if column.form_submit_button(
                label, key=f"insight_{action}", disabled=action not in allowed, help=help_text, icon=icon
            ):
                pressed = action
    if pressed is None:
        return
    action = pressed

    def run() -> InsightView:
        with state.session() as session:
            return review_insight(session, actor=principal, insight_id=insight.id, action=action, note=note)

    done = attempt(run)
    if done is not None:
        hidden = "" if done.status in statuses or not statuses else f" (filter by status {done.status} to see it)"
        flash(f"{VERBS[action]} insight #{insight.id}{hidden}.", "success")
        st.rerun()


st.subheader("Triage")
if insight.status not in ("open", "acknowledged"):
    st.caption(f"#{insight.id} is {insight.status}: there is nothing to triage.")
elif can(principal, Action.REVIEW):
    triage(principal, insight)
else:
    st.caption(
        f"You are a {principal.role}: acknowledging, resolving and dismissing insights needs the operator role "
        "(an admin can grant it on the Admin page)."
    )
