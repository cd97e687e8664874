"""Audit log: every write in promptloop, filterable by actor, action, entity and time; CSV export.

The log is append-only in the database; this page only reads it through
:func:`core.governance.audit.list_events`. Times are UTC.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from console import auth, state
from core.db.models.audit import AuditEvent
from core.governance.audit import list_events

ANY = "(any)"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ["id", "occurred_at", "actor", "action", "entity_type", "entity_id", "before", "after"]


def distinct(session: Session, column: InstrumentedAttribute[str]) -> list[str]:
    """Values present in the log, for the filter choices."""
    return list(session.scalars(select(column).distinct().order_by(column)))


def events_frame(events: Sequence[AuditEvent]) -> pd.DataFrame:
    """The events as a table; ``before``/``after`` as compact JSON text (also what the CSV holds)."""

    def as_json(value: object) -> str:
        return "" if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)

    return pd.DataFrame(
        [
            {
                "id": e.id,
                "occurred_at": e.occurred_at.astimezone(UTC).isoformat(timespec="seconds"),
                "actor": e.actor,
                "action": e.action,
                "entity_type": e.entity_type,
                "entity_id": e.entity_id,
                "before": as_json(e.before),
                "after": as_json(e.after),
            }
            for e in events
        ],
        columns=COLUMNS,
    )


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV export. Text cells that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``,
    tab, CR first: reasons and comments are free text) are prefixed with ``'`` (OWASP CSV injection)."""

    def defuse(value: object) -> object:
        return f"'{value}" if isinstance(value, str) and value[:1] in _FORMULA_STARTS else value

    return str(frame.map(defuse).to_csv(index=False))


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


st.title("Audit log")
auth.current_principal()  # reading the log needs a signed-in user, of any role

with state.session() as session:
    actors = distinct(session, AuditEvent.actor)
    actions = distinct(session, AuditEvent.action)
    entity_types = distinct(session, AuditEvent.entity_type)

today = datetime.now(UTC).date()
with st.form("audit_filters"):
    first, second, third = st.columns(3)
    actor = first.selectbox("Actor", [ANY, *actors], key="audit_actor")
    action = second.selectbox("Action", [ANY, *actions], key="audit_action")
    entity_type = third.selectbox("Entity type", [ANY, *entity_types], key="audit_entity_type")
    fourth, fifth, sixth, seventh = st.columns(4)
    entity_id = fourth.text_input(
        "Entity id", key="audit_entity_id", placeholder="e.g. 12 or thought_to_intent:production"
    )
    start = fifth.date_input("From (UTC)", value=today - timedelta(days=30), key="audit_from")
    end = sixth.date_input("To (UTC, inclusive)", value=today, key="audit_to")
    limit = seventh.number_input("At most", min_value=1, max_value=20_000, value=1_000, step=500, key="audit_limit")
    st.form_submit_button("Apply filters", key="audit_apply")

if start > end:
    st.error("'From' is after 'To': choose a start date on or before the end date.")
    st.stop()

with state.session() as session:
    events = list_events(
        session,
        actor=None if actor == ANY else actor,
        action=None if action == ANY else action,
        entity_type=None if entity_type == ANY else entity_type,
        entity_id=entity_id.strip() or None,
        since=day_start(start),
        until=day_start(end + timedelta(days=1)),
        limit=int(limit),
    )
    frame = events_frame(events)

shown = f"{len(frame)} event(s), newest first"
if len(frame) == int(limit):
    shown += f" — the limit of {int(limit)} was reached; narrow the filters or raise the limit"
st.caption(shown)
st.dataframe(frame, hide_index=True, width="stretch")
st.download_button(
    "Download CSV",
    data=csv_text(frame).encode("utf-8"),
    file_name=f"promptloop-audit-{start:%Y%m%d}-{end:%Y%m%d}.csv",
    mime="text/csv",
    key="audit_csv",
    icon=":material/download:",
    disabled=frame.empty,
    on_click="ignore",
)
