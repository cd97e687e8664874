"""Prompts: versions with their lineage, labels and label history, a section-aware diff of any two
versions, and — for operators — proposing a promotion or a rollback (both are change requests)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from console import auth, state
from console.widgets.action_feedback import attempt, flash, show_flashes
from console.widgets.diff_view import render_diff
from core.db.models.governance import OPEN_STATUSES
from core.db.models.registry import PromptVersion
from core.governance.changes import Proposal, propose_promotion, propose_rollback
from core.governance.queries import list_change_requests
from core.governance.roles import Action, Principal, can
from core.governance.rules import GovernanceRules
from core.registry.labels import LabelHistoryEntry, current_labels, label_history
from core.registry.prompts import list_prompts
from core.registry.versions import list_versions

STANDARD_LABELS = ("production", "staging", "canary")

st.title("Prompts")
show_flashes()
principal = auth.current_principal()

with state.session() as session:
    prompts = list_prompts(session)
    catalogue = []
    for prompt in prompts:
        versions = list_versions(session, prompt=prompt)
        labels = current_labels(session, prompt=prompt)
        catalogue.append((prompt, versions, labels))

if not catalogue:
    st.info("No prompts yet. Create one with `promptloop prompts create NAME`, or run `promptloop seed-demo`.")
    st.stop()

summary = pd.DataFrame(
    [
        {
            "prompt": prompt.name,
            "description": prompt.description,
            "versions": len(versions),
            "latest": versions[-1].version if versions else None,
            "labels": ", ".join(f"{name} → {version}" for name, version in labels.items()),
        }
        for prompt, versions, labels in catalogue
    ]
)
st.dataframe(summary, hide_index=True, width="stretch")

names = [prompt.name for prompt, _, _ in catalogue]
chosen = st.selectbox("Prompt", names, key="prompt")
prompt, versions, labels = next(item for item in catalogue if item[0].name == chosen)
by_id = {v.id: v for v in versions}
by_number = {v.version: v for v in versions}
labels_by_version: dict[str, list[str]] = {}
for name, version in labels.items():
    labels_by_version.setdefault(version, []).append(name)

st.subheader(f"{prompt.name} — versions")
st.dataframe(
    pd.DataFrame(
        [
            {
                "version": v.version,
                "parent": by_id[v.parent_id].version if v.parent_id in by_id else None,
                "labels": ", ".join(labels_by_version.get(v.version, [])),
                "origin": v.origin,
                "author": v.author,
                "created": v.created_at,
                "sections": ", ".join(v.section_ids),
                "notes": v.notes,
            }
            for v in reversed(versions)
        ]
    ),
    hide_index=True,
    width="stretch",
)
if not versions:
    st.info(f"{prompt.name} has no versions yet: add one with `promptloop prompts add-version {prompt.name} FILE`.")
    st.stop()


def lineage(version: PromptVersion) -> list[str]:
    """The version's ancestors, oldest first, through ``parent_id``."""
    chain: list[str] = []
    seen: set[int] = set()
    current: PromptVersion | None = version
    while current is not None and current.id not in seen:
        seen.add(current.id)
        chain.append(current.version)
        current = by_id.get(current.parent_id) if current.parent_id is not None else None
    return list(reversed(chain))


# --- labels -------------------------------------------------------------------------------------
with state.session() as session:
    history: Sequence[LabelHistoryEntry] = label_history(session, prompt=prompt)

st.subheader("Labels")
if labels:
    st.dataframe(
        pd.DataFrame([{"label": name, "version": version} for name, version in labels.items()]),
        hide_index=True,
    )
else:
    st.caption("No labels yet: propose a promotion below to point one at a version.")
if history:
    st.markdown("**Label history**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "moved": h.moved_at,
                    "label": h.label,
                    "from": h.from_version or "∅",
                    "to": h.to_version,
                    "kind": h.kind,
                    "by": h.actor,
                    "reason": h.reason,
                    "change request": f"#{h.change_request_id}" if h.change_request_id else "",
                }
                for h in reversed(history)
            ]
        ),
        hide_index=True,
        width="stretch",
    )

# --- compare ------------------------------------------------------------------------------------
st.subheader("Compare versions")
numbers = [v.version for v in reversed(versions)]  # newest first
newest = versions[-1]
default_before = by_id[newest.parent_id].version if newest.parent_id in by_id else numbers[-1]
left, right = st.columns(2)
before_number = left.selectbox("From", numbers, index=numbers.index(default_before), key="diff_from")
after_number = right.selectbox("To", numbers, index=0, key="diff_to")
after_version = by_number[after_number]
st.caption(f"Lineage of {after_number}: " + " → ".join(lineage(after_version)))
render_diff(
    by_number[before_number].content,
    after_version.content,
    before_name=f"{prompt.name}@{before_number}",
    after_name=f"{prompt.name}@{after_number}",
    key="prompt_diff",
)


# --- change requests ----------------------------------------------------------------------------
def announce(proposal: Proposal, what: str) -> None:
    request = proposal.request
    if not proposal.created:
        flash(f"The same request is already open: {request.title()} (see Approvals).", "info")
        return
    superseded = f" It supersedes #{', #'.join(map(str, proposal.superseded))}." if proposal.superseded else ""
    if proposal.applied is not None:
        flash(f"{what} {request.title()} was opened and applied: {proposal.applied.detail}.{superseded}")
    else:
        flash(f"Opened change request {request.title()}. Another operator approves it on Approvals.{superseded}")


def apply_now_checkbox(principal: Principal, key: str, *, note: str = "skips review, still audited") -> bool:
    """Admins may apply their own request at once (still a change request, still audited)."""
    if not can(principal, Action.APPLY_IMMEDIATELY):
        return False
    return st.checkbox(f"Apply now (admin; {note})", key=key)


def submit(run: Callable[[], Proposal], what: str) -> None:
    proposal = attempt(run)
    if proposal is not None:
        announce(proposal, what)
        st.rerun()


def promotion_form(principal: Principal, rules: GovernanceRules) -> None:
    st.markdown("**Propose a promotion**")
    choices = list(dict.fromkeys([*labels, *STANDARD_LABELS]))
    with st.form("promote"):
        version = st.selectbox("Version", numbers, key="promote_version")
        label = st.selectbox("Label", choices, key="promote_label")
        reason = st.text_area("Reason", key="promote_reason", placeholder="Why should this label move?")
        apply_now = apply_now_checkbox(
            principal,
            "promote_apply_now",
            note="a label's first version only, under the two-person rule" if rules.two_person_rule else "skips review",
        )
        submitted = st.form_submit_button("Propose promotion", key="promote_submit", type="primary")
    if not submitted:
        return

    def run() -> Proposal:
        with state.session() as session:
            return propose_promotion(
                session,
                actor=principal,
                rules=rules,
                prompt_name=prompt.name,
                label=label,
                version=version,
                reason=reason,
                apply_now=apply_now,
            )

    submit(run, "Promotion")


def rollback_form(principal: Principal, rules: GovernanceRules) -> None:
    st.markdown("**Roll back a label**")
    if not labels:
        st.caption("No label to roll back.")
        return
    label = st.selectbox("Label", list(labels), key="rollback_label")
    moves = [h for h in history if h.label == label]
    current = labels[label]
    targets = list(dict.fromkeys(h.to_version for h in reversed(moves) if h.to_version != current))
    if not targets:
        st.caption(f"{label} has only ever pointed at {current}: there is nothing to roll back to.")
        return
    previous = moves[-1].from_version if moves else None
    with st.form("rollback"):
        st.caption(f"{label} points at {current}.")
        target = st.selectbox(
            "Back to",
            targets,
            index=targets.index(previous) if previous in targets else 0,
            key="rollback_target",
        )
        reason = st.text_area("Reason", key="rollback_reason", placeholder="What went wrong with the current version?")
        apply_now = apply_now_checkbox(principal, "rollback_apply_now")
        submitted = st.form_submit_button("Open rollback request", key="rollback_submit", type="primary")
    if not submitted:
        return

    def run() -> Proposal:
        with state.session() as session:
            return propose_rollback(
                session,
                actor=principal,
                rules=rules,
                prompt_name=prompt.name,
                label=label,
                reason=reason,
                to=target,
                apply_now=apply_now,
            )

    submit(run, "Rollback")


st.subheader("Change")
with state.session() as session:
    open_requests = list_change_requests(session, status=list(OPEN_STATUSES), prompt_name=prompt.name)
for open_request in open_requests:
    st.caption(
        f"Open: {open_request.title()} ({open_request.status}, by {open_request.requested_by}) — see Approvals. "
        f"A new request for label {open_request.label} supersedes it."
    )
if can(principal, Action.PROPOSE):
    rules = GovernanceRules.from_settings(state.settings())
    promote_column, rollback_column = st.columns(2)
    with promote_column:
        promotion_form(principal, rules)
    with rollback_column:
        rollback_form(principal, rules)
else:
    st.caption(
        f"You are a {principal.role}: proposing promotions and rollbacks needs the operator role "
        "(an admin can grant it on the Admin page)."
    )
