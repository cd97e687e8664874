"""Recommendations: what the weekly optimization run recommends, with effect, 95 % interval, q-value,
confidence and sample sizes; a detail view with the rationale and evidence (observational ones are
labelled "observational — confirm by experiment"); operators accept or reject with a note, and an
accepted recommendation not yet proposed becomes a policy-change request ("propose change": the
proposed version's diff first, then the request, reviewed on Approvals). Roles are enforced by
``core.governance``; buttons are only hidden here."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from console import auth, state
from console.widgets.action_feedback import attempt, flash, show_flashes
from console.widgets.diff_view import render_diff
from console.widgets.recommendation_figures import KIND_NAMES, headline, render_recommendation_evidence
from core.db.models.governance import OPEN_STATUSES
from core.db.models.insights import RECOMMENDATION_STATUSES
from core.errors import PromptloopError
from core.governance.changes import Proposal
from core.governance.queries import list_change_requests
from core.governance.recommendations import LinkedRequest, linked_requests, propose_from_recommendation
from core.governance.review import decide_recommendation
from core.governance.roles import Action, Principal, can
from core.governance.rules import GovernanceRules
from core.recommend.gating import OBSERVATIONAL
from core.recommend.handoff import proposed_change
from core.recommend.store import RecommendationView, list_recommendations
from core.registry.labels import current_labels
from core.registry.prompts import get_prompt, list_prompts
from core.registry.versions import get_version

ANY = "All prompts"
DEFAULT_STATUSES = ["new", "accepted"]
STATUS_COLOUR = {"new": "orange", "accepted": "green", "rejected": "red", "superseded": "gray"}
APPROVALS = "views/approvals.py"


def when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if moment else "—"


st.title("Recommendations")
show_flashes()
principal = auth.current_principal()

with state.session() as session:
    prompt_names = [p.name for p in list_prompts(session)]
    anything = bool(list_recommendations(session, limit=1))
if not anything:
    st.info(
        "No recommendations yet. The weekly optimization report makes them (`promptloop serve`, or once with "
        "`promptloop flows run optimization_report`); it needs a few weeks of recorded outcomes."
    )
    st.stop()

columns = st.columns([2, 3])
prompt = columns[0].selectbox("Prompt", [ANY, *prompt_names], key="recs_prompt")
statuses = columns[1].multiselect(
    "Status", list(RECOMMENDATION_STATUSES), default=DEFAULT_STATUSES, key="recs_status", placeholder="Any status"
)
with state.session() as session:
    recommendations = list_recommendations(session, prompt=None if prompt == ANY else prompt, status=statuses or None)
    requests = linked_requests(session)
if not recommendations:
    st.info("No recommendation matches these filters. Widen them (e.g. add the rejected and superseded statuses).")
    st.stop()


def request_cell(rec: RecommendationView) -> str:
    linked = requests.get(rec.id)
    return f"#{linked.request_id} ({linked.status})" if linked else ""


rows = []
for item in recommendations:
    figures = headline(item)
    rows.append(
        {
            "#": item.id,
            "kind": KIND_NAMES.get(item.kind, item.kind),
            "prompt": item.prompt,
            "effect": figures.effect,
            "95 % interval": figures.interval,
            "q-value": figures.q_value,
            "confidence": figures.confidence,
            "sample sizes": figures.sample_sizes,
            "observational": item.observational,
            "status": item.status,
            "change request": request_cell(item),
        }
    )
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
st.caption(
    "Section effects are differences in accuracy (absolute; adjusted for version, segment and other sections); "
    "q-values are Benjamini–Hochberg over every section test of the run; confidence = 1 − q. Token-budget rows "
    "show the budget change and the p95 of prompt tokens among high-accuracy calls with its interval."
)

by_id = {r.id: r for r in recommendations}
wanted = st.query_params.get("recommendation")
start = list(by_id).index(int(wanted)) if wanted and wanted.isdigit() and int(wanted) in by_id else 0
chosen = st.selectbox(
    "Recommendation",
    list(by_id),
    index=start,
    # no status in the label: a widget whose options' labels change is reset, losing the selection
    format_func=lambda rid: f"#{rid} · {by_id[rid].prompt} · {by_id[rid].title}",
    key="recs_selected",
)
rec: RecommendationView = by_id[chosen]

# --- detail --------------------------------------------------------------------------------------
st.subheader(rec.title)
badges = f":{STATUS_COLOUR[rec.status]}-badge[{rec.status}] :gray-badge[{KIND_NAMES.get(rec.kind, rec.kind)}]"
st.markdown(f"{badges} on **{rec.prompt}@{rec.base_version}** · report #{rec.report_id} · {when(rec.created_at)}")
if rec.observational:
    st.warning(
        f"**{OBSERVATIONAL.capitalize()}.** This effect comes from logged traffic, not a randomized comparison: "
        "a difference in who got the section can look like an effect. Confirm it with an experiment.",
        icon=":material/science:",
    )
st.markdown(rec.rationale)
render_recommendation_evidence(rec, key=f"rec_{rec.id}")
if rec.decided_by:
    note = f": “{rec.decision_note}”" if rec.decision_note else ""
    st.caption(f"{rec.status.capitalize()} by {rec.decided_by} on {when(rec.decided_at)}{note}")
if rec.status == "superseded":
    detail = rec.status_detail or "a newer report replaced it"
    shown = detail[0].upper() + detail[1:] if detail.startswith("superseded") else f"Superseded: {detail}"
    st.info(f"{shown}. Decide on the newer one instead.", icon=":material/low_priority:")


# --- decide --------------------------------------------------------------------------------------
def decide(principal: Principal, rec: RecommendationView) -> None:
    with st.form(f"decide_rec_{rec.id}"):
        note = st.text_area(
            "Note", key=f"rec_note_{rec.id}", placeholder="Required to reject (say why); optional to accept."
        )
        accept_column, reject_column = st.columns(2)
        accepted = accept_column.form_submit_button("Accept", key="rec_accept", type="primary", icon=":material/check:")
        rejected = reject_column.form_submit_button("Reject", key="rec_reject", icon=":material/close:")
    if not (accepted or rejected):
        return

    def run() -> RecommendationView:
        with state.session() as session:
            return decide_recommendation(
                session,
                actor=principal,
                recommendation_id=rec.id,
                decision="accept" if accepted else "reject",
                note=note,
            )

    if attempt(run) is not None:
        if accepted:
            flash(f"Accepted recommendation #{rec.id}. Propose the change below to open a change request.")
        else:
            flash(f"Rejected recommendation #{rec.id}.", "info")
        st.rerun()


def link_to_request(request: LinkedRequest) -> None:
    st.success(f"Proposed: change request #{request.request_id} is {request.status}.", icon=":material/task_alt:")
    st.page_link(
        APPROVALS,
        label=f"Open change request #{request.request_id} in Approvals",
        icon=":material/arrow_forward:",
        query_params={"request": str(request.request_id)},
    )


def announce(proposal: Proposal, rec: RecommendationView) -> None:
    request = proposal.request
    if not proposal.created:
        flash(f"The same request is already open: {request.title()} (see Approvals).", "info")
        return
    superseded = f" It supersedes #{', #'.join(map(str, proposal.superseded))}." if proposal.superseded else ""
    flash(
        f"Opened change request {request.title()} for recommendation #{rec.id}. "
        f"Another operator approves it on Approvals.{superseded}"
    )


def propose(principal: Principal, rec: RecommendationView) -> None:
    """Show the proposed version's diff from the version the recommendation was computed on, then open it."""
    try:
        with state.session() as session:
            change = proposed_change(session, recommendation_id=rec.id)
            prompt_row = get_prompt(session, name=rec.prompt)
            base = get_version(session, prompt=prompt_row, version=change.base_version).content
            serving = current_labels(session, prompt=prompt_row).get(change.label)
            open_requests = list_change_requests(
                session, status=list(OPEN_STATUSES), prompt_name=rec.prompt, label=change.label
            )
    except PromptloopError as exc:
        st.error(f"This recommendation cannot be proposed: {exc}", icon=":material/block:")
        return
    st.markdown(
        f"Proposing opens a **policy-change request**: a new version of {rec.prompt} (created now, "
        f"origin *recommendation*) and a request to move **{change.label}** to it. Nothing changes until another "
        "operator approves it on Approvals."
    )
    if serving != change.base_version:
        st.warning(
            f"{change.label} now serves {serving or 'no version'}, not {change.base_version} (the version this "
            f"recommendation was computed on): the request applies the same policy to {serving}. Check its diff on "
            "Approvals, or wait for next week's recommendation."
        )
    for request in open_requests:
        st.info(f"Open: {request.title()} ({request.status}). Proposing supersedes it.", icon=":material/low_priority:")
    render_diff(
        base,
        change.content.canonical(),
        before_name=f"{rec.prompt}@{change.base_version}",
        after_name="proposed",
        key=f"rec_diff_{rec.id}",
    )
    if not st.button("Propose change", key="rec_propose", type="primary", icon=":material/send:"):
        return
    rules = GovernanceRules.from_settings(state.settings())

    def run() -> Proposal:
        with state.session() as session:
            return propose_from_recommendation(session, actor=principal, rules=rules, recommendation_id=rec.id)

    proposal = attempt(run)
    if proposal is not None:
        announce(proposal, rec)
        st.rerun()


needs_operator = "(an admin can grant it on the Admin page)"
if rec.status == "new":
    st.subheader("Decision")
    if can(principal, Action.REVIEW):
        decide(principal, rec)
    else:
        st.caption(f"You are a {principal.role}: accepting and rejecting needs the operator role {needs_operator}.")
elif rec.status == "accepted":
    st.subheader("Change")
    if rec.id in requests:
        link_to_request(requests[rec.id])
    elif can(principal, Action.PROPOSE):
        propose(principal, rec)
    else:
        st.caption(f"You are a {principal.role}: proposing changes needs the operator role {needs_operator}.")
