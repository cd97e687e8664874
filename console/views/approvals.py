"""Approvals: change requests with their evidence (figures with intervals) and diff; approve or
reject with a comment. Roles, the two-person rule and the guardrails are enforced by
``core.governance``; this page explains them up front and shows the core's message if refused.
Stale, superseded and failed requests say what happened (for stale ones: what moved the label)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from console import auth, state
from console.widgets.action_feedback import Kind, attempt, flash, show_flashes
from console.widgets.diff_view import render_diff
from console.widgets.evidence import render_evidence
from core.db.models.governance import OPEN_STATUSES
from core.governance.apply import EXPERIMENT_KINDS, ApplyResult
from core.governance.decisions import Decision, add_comment, apply_change_request, approve, proposers, reject
from core.governance.queries import ChangeRequestDetail, ChangeRequestView, get_change_request, list_change_requests
from core.governance.roles import Action, Principal, can
from core.governance.rules import GovernanceRules
from core.registry.labels import LabelHistoryEntry, label_history
from core.registry.prompts import get_prompt
from core.registry.versions import get_version

VIEWS = {
    "Open": list(OPEN_STATUSES),
    "Decided": ["applied", "rejected", "stale", "failed", "superseded"],
    "All": None,
}
_STATUS_COLOUR = {
    "pending": "orange",
    "approved": "blue",
    "applied": "green",
    "rejected": "red",
    "stale": "gray",
    "failed": "red",
    "superseded": "gray",
}


def when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if moment else "—"


def result_message(request_id: int, applied: ApplyResult | None, *, verb: str = "Approved") -> tuple[str, Kind]:
    """What to tell the operator after approving (or applying) a request."""
    if applied is None:
        return f"{verb} #{request_id}; it will be applied when its apply window comes.", "success"
    if applied.status == "applied":
        return f"{verb} #{request_id} and applied it: {applied.detail}.", "success"
    if applied.status == "stale":
        return f"#{request_id} is stale and was not applied: {applied.detail}", "warning"
    return f"#{request_id} was not applied ({applied.status}): {applied.detail}", "error"


def history_rows(detail: ChangeRequestDetail) -> list[dict[str, object]]:
    rows = []
    for event in detail.history:
        after = event.after or {}
        rows.append(
            {
                "when": event.occurred_at,
                "who": event.actor,
                "what": event.action.removeprefix("change_request."),
                "detail": after.get("detail") or after.get("comment") or after.get("text") or "",
            }
        )
    return rows


st.title("Approvals")
show_flashes()
principal = auth.current_principal()
rules = GovernanceRules.from_settings(state.settings())

view = st.radio("Show", list(VIEWS), horizontal=True, key="approvals_view")
with state.session() as session:
    requests = list_change_requests(session, status=VIEWS[view], limit=200)

if not requests:
    st.info("No open change requests." if view == "Open" else "No change requests here yet.")
    st.caption("Requests are opened from the Prompts page, by `promptloop prompts label|rollback`, or by the flows.")
    st.stop()

st.dataframe(
    pd.DataFrame(
        [
            {
                "#": r.id,
                "status": r.status,
                "kind": r.kind,
                "prompt": r.prompt,
                "label": r.label or "",
                "change": f"{r.base_version or '∅'} → {r.target_version or ''}",
                "requested by": r.requested_by,
                "opened": r.created_at,
                "reason": r.reason,
            }
            for r in requests
        ]
    ),
    hide_index=True,
    width="stretch",
)

ids = [r.id for r in requests]
by_id = {r.id: r for r in requests}
wanted = st.query_params.get("request")
start = ids.index(int(wanted)) if wanted and wanted.isdigit() and int(wanted) in by_id else 0
chosen = st.selectbox(
    "Change request",
    ids,
    index=start,
    # no status in the label: approving changes it, and a changed label resets the selection
    format_func=lambda rid: by_id[rid].title(),
    key="approvals_request",
)

with state.session() as session:
    detail: ChangeRequestDetail = get_change_request(session, request_id=chosen)
    request: ChangeRequestView = detail.request
    backers = proposers(session, request)
    prompt = get_prompt(session, name=request.prompt)
    base = get_version(session, prompt=prompt, version=request.base_version).content if request.base_version else None
    target = (
        get_version(session, prompt=prompt, version=request.target_version).content if request.target_version else None
    )
    later_moves: list[LabelHistoryEntry] = [
        move
        for move in (label_history(session, prompt=prompt, label=request.label) if request.label else [])
        if move.moved_at >= request.created_at and move.change_request_id != request.id
    ]

# --- what it is and where it stands -------------------------------------------------------------
st.subheader(request.title())
colour = _STATUS_COLOUR.get(request.status, "gray")
requester = f"{request.requested_by} (automation)" if request.requester_kind == "flow" else request.requested_by
st.markdown(f":{colour}-badge[{request.status}] requested by **{requester}** on {when(request.created_at)}")
st.markdown(f"**Reason:** {request.reason}")
if request.decided_by:
    verb = "Rejected" if request.status == "rejected" else "Approved"
    auto = " (auto-apply policy)" if request.auto_approved else ""
    st.caption(f"{verb} by {request.decided_by}{auto} on {when(request.decided_at)}")
if request.applied_by:
    st.caption(f"Applied by {request.applied_by} on {when(request.applied_at)}")

if request.status == "stale":
    st.warning(f"**Stale — nothing was applied.** {request.status_detail}", icon=":material/history:")
    if later_moves:
        st.markdown("**What moved the label since this request was made**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "moved": m.moved_at,
                        "from": m.from_version or "∅",
                        "to": m.to_version,
                        "by": m.actor,
                        "reason": m.reason,
                        "kind": m.kind,
                        "change request": f"#{m.change_request_id}" if m.change_request_id else "direct",
                    }
                    for m in later_moves
                ]
            ),
            hide_index=True,
            width="stretch",
        )
elif request.status == "superseded":
    st.info(f"Superseded: {request.status_detail}", icon=":material/low_priority:")
elif request.status == "failed":
    st.error(f"Failed: {request.status_detail}")
elif request.status == "approved" and request.apply_after is not None:
    st.info(f"Approved; it will be applied from {when(request.apply_after)} on.")
elif request.status == "pending" and later_moves:
    st.warning(
        f"The label {request.label} has moved since this request was made; approving it will mark it stale "
        "instead of applying it. Open a new request against the label's current version."
    )
if detail.label_moves:
    moves = ", ".join(
        f"{m.label}: {m.from_version or '∅'} → {m.to_version} ({when(m.moved_at)})" for m in detail.label_moves
    )
    st.success(f"Label moved by this request: {moves}")

# --- evidence and diff --------------------------------------------------------------------------
evidence_tab, diff_tab, discussion_tab = st.tabs(["Evidence", "Diff", "Comments and history"])
with evidence_tab:
    render_evidence(request.evidence)
with diff_tab:
    if target is None:
        st.caption("This request does not change a prompt version.")
    else:
        render_diff(
            base,
            target,
            before_name=f"{request.prompt}@{request.base_version}" if request.base_version else "∅",
            after_name=f"{request.prompt}@{request.target_version}",
            key=f"request_diff_{request.id}",
        )
with discussion_tab:
    if detail.comments:
        for comment in detail.comments:
            st.markdown(f"**{comment.author}** · {when(comment.created_at)}  \n{comment.body}")
    else:
        st.caption("No comments.")
    st.dataframe(pd.DataFrame(history_rows(detail)), hide_index=True, width="stretch")


# --- decide -------------------------------------------------------------------------------------
def approval_blockers(principal: Principal, request: ChangeRequestView, backers: dict[str, str]) -> list[str]:
    """Why this principal cannot approve (the core refuses these too; saying so first saves a click).
    ``backers``: ``core.governance.decisions.proposers`` of the request."""
    reasons = []
    if rules.two_person_rule and principal.email in backers:
        why = backers[principal.email]
        reasons.append(
            f"{why[0].upper()}{why[1:]}: under the two-person rule another operator must approve it "
            "(you may still reject it or comment)."
        )
    guardrails = request.evidence.get("guardrails") or {}
    if (guardrails.get("removed") or guardrails.get("demoted")) and not can(principal, Action.REMOVE_GUARDRAIL):
        reasons.append("This change removes or demotes a guardrail section: only an admin may approve it.")
    if request.kind in EXPERIMENT_KINDS:
        reasons.append("Experiments are not available yet, so this request cannot be approved; reject it or leave it.")
    return reasons


def decide(principal: Principal, request: ChangeRequestView, backers: dict[str, str]) -> None:
    blockers = approval_blockers(principal, request, backers)
    for blocker in blockers:
        st.info(blocker, icon=":material/person_off:")
    with st.form(f"decide_{request.id}"):
        comment = st.text_area(
            "Comment", key=f"decide_comment_{request.id}", placeholder="Required to reject; optional to approve."
        )
        approve_column, reject_column, comment_column = st.columns(3)
        approve_clicked = approve_column.form_submit_button(
            "Approve", key="approve", type="primary", disabled=bool(blockers), icon=":material/check:"
        )
        reject_clicked = reject_column.form_submit_button("Reject", key="reject", icon=":material/close:")
        comment_clicked = comment_column.form_submit_button("Comment only", key="comment_only")
    if approve_clicked:

        def run_approve() -> Decision:
            with state.session() as session:
                return approve(session, actor=principal, rules=rules, request_id=request.id, comment=comment)

        decision = attempt(run_approve)
        if decision is not None:
            flash(*result_message(request.id, decision.applied))
            st.rerun()
    elif reject_clicked:

        def run_reject() -> ChangeRequestView:
            with state.session() as session:
                return reject(session, actor=principal, request_id=request.id, comment=comment)

        if attempt(run_reject) is not None:
            flash(f"Rejected #{request.id}.", "info")
            st.rerun()
    elif comment_clicked:
        post_comment(principal, request.id, comment)


def post_comment(principal: Principal, request_id: int, text: str) -> None:
    def run() -> object:
        with state.session() as session:
            return add_comment(session, actor=principal, request_id=request_id, text=text)

    if attempt(run) is not None:
        flash(f"Commented on #{request_id}.", "info")
        st.rerun()


def apply_form(principal: Principal, request: ChangeRequestView) -> None:
    due = request.apply_after is None or request.apply_after <= datetime.now(UTC)
    if not due:
        return
    st.caption("Approved and due, but not applied yet (the policy-update flow applies due requests).")
    if st.button("Apply now", key=f"apply_{request.id}", type="primary"):

        def run() -> ApplyResult:
            with state.session() as session:
                return apply_change_request(session, actor=principal, request_id=request.id)

        applied = attempt(run)
        if applied is not None:
            flash(*result_message(request.id, applied, verb="Applied"))
            st.rerun()


def comment_form(principal: Principal, request_id: int) -> None:
    with st.form(f"comment_{request_id}"):
        text = st.text_area("Comment", key=f"comment_text_{request_id}")
        submitted = st.form_submit_button("Add comment", key="add_comment")
    if submitted:
        post_comment(principal, request_id, text)


st.subheader("Decision")
if request.status == "pending" and can(principal, Action.APPROVE):
    decide(principal, request, backers)
elif request.status == "approved" and can(principal, Action.APPLY):
    apply_form(principal, request)
    comment_form(principal, request.id)
elif can(principal, Action.COMMENT):
    st.caption(f"#{request.id} is {request.status}: there is nothing to decide.")
    comment_form(principal, request.id)
else:
    st.caption(
        f"You are a {principal.role}: approving, rejecting and commenting need the operator role "
        "(an admin can grant it on the Admin page)."
    )
