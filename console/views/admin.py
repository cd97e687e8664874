"""Admin (admins only): users and roles, per-prompt settings (thresholds), auto-apply per prompt and
notification channels. Every write goes through a ``core`` function that checks the admin role
itself and records an audit event; each form writes in one transaction, so nothing is half-saved."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import auth, state
from console.widgets.action_feedback import attempt, flash, show_flashes
from console.widgets.settings_form import changed_fields, model_inputs
from core.db.models.governance import ROLES
from core.governance.autoapply import get_auto_apply, set_auto_apply
from core.governance.guardrails import LOW_RISK_CLASSES
from core.governance.prompt_settings import change_prompt_settings
from core.governance.roles import Action, Principal, require
from core.governance.users import UserView, add_user, list_users, set_active, set_password, set_role
from core.notify.channels import AddedChannel, ChannelView, add_channel, list_channels, remove_channel, update_channel
from core.notify.deliver import DeliveryReport, deliver_pending
from core.notify.events import EVENT_TYPES, Event, notify
from core.registry.prompts import list_prompts
from core.registry.settings import PromptSettings, prompt_settings

CHANNEL_EVENTS = [e for e in EVENT_TYPES if e != "test"]

st.title("Admin")
principal = auth.current_principal()
if not auth.is_admin(principal):
    st.error(f"The Admin page needs the admin role; you are signed in as a {principal.role}.")
    st.stop()
show_flashes()


def split_addresses(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


# --- users --------------------------------------------------------------------------------------
def users_tab(principal: Principal) -> None:
    with state.session() as session:
        users = list_users(session)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "email": u.email,
                    "name": u.display_name,
                    "role": u.role,
                    "active": u.active,
                    "sign-in": "password" if u.has_password else "OIDC only",
                    "added by": u.created_by,
                    "added": u.created_at,
                }
                for u in users
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    add_column, change_column = st.columns(2)
    with add_column:
        add_user_form(principal)
    with change_column:
        change_user_form(principal, [u.email for u in users], {u.email: u for u in users})


def add_user_form(principal: Principal) -> None:
    st.markdown("**Add a user**")
    oidc = auth.oidc_section() is not None
    with st.form("add_user", clear_on_submit=False):
        email = st.text_input("Email", key="add_user_email")
        name = st.text_input("Display name", key="add_user_name")
        role = st.selectbox("Role", ROLES, key="add_user_role")
        password = st.text_input(
            "Password",
            type="password",
            key="add_user_password",
            help="Leave empty for an account that signs in through OIDC only."
            + (" OIDC is configured: passwords are not used by the console." if oidc else ""),
        )
        submitted = st.form_submit_button("Add user", key="add_user_submit", type="primary")
    if not submitted:
        return

    def run() -> object:
        with state.session() as session:
            return add_user(
                session, actor=principal, email=email, role=role, display_name=name, password=password or None
            )

    if attempt(run) is not None:
        flash(f"Added {email.strip().lower()} as {role}.")
        st.rerun()


def change_user_form(principal: Principal, emails: list[str], users: dict[str, UserView]) -> None:
    st.markdown("**Change a user**")
    email = st.selectbox("User", emails, key="change_user_email")
    if email is None:
        return
    user = users[email]
    with st.form("change_user"):
        role = st.selectbox("Role", ROLES, index=ROLES.index(user.role), key="change_user_role")
        active = st.checkbox("Active (may sign in and act)", value=user.active, key="change_user_active")
        password = st.text_input(
            "New password", type="password", key="change_user_password", help="Leave empty to keep the current one."
        )
        submitted = st.form_submit_button("Save changes", key="change_user_submit", type="primary")
    if not submitted:
        return

    def run() -> list[str]:
        done = []
        with state.session() as session:  # one transaction: all of it or none of it
            if role != user.role:
                set_role(session, actor=principal, email=email, role=role)
                done.append(f"role {role}")
            if active != user.active:
                set_active(session, actor=principal, email=email, active=active)
                done.append("activated" if active else "deactivated")
            if password:
                set_password(session, actor=principal, email=email, password=password)
                done.append("password set")
        return done

    done = attempt(run)
    if done is not None:
        flash(f"{email}: {', '.join(done)}." if done else f"{email}: nothing changed.", "success" if done else "info")
        st.rerun()


# --- prompt settings ----------------------------------------------------------------------------
def settings_tab(principal: Principal, prompt_names: list[str]) -> None:
    st.caption("Per-prompt settings and thresholds. Every change is validated as a whole and audited.")
    name = st.selectbox("Prompt", prompt_names, key="settings_prompt")
    if name is None:
        st.info("No prompts yet.")
        return
    with state.session() as session:
        current = prompt_settings(next(p for p in list_prompts(session) if p.name == name).settings)
    errors: list[str] = []
    with st.form(f"settings_{name}"):
        entered = model_inputs(PromptSettings, current, key=f"settings_{name}", errors=errors)
        submitted = st.form_submit_button("Save settings", key="settings_submit", type="primary")
    if not submitted:
        return
    if errors:
        for error in errors:
            st.error(error)
        return
    changes = changed_fields(current, entered)
    if not changes:
        st.info("Nothing changed.")
        return

    def run() -> object:
        with state.session() as session:
            return change_prompt_settings(session, actor=principal, prompt_name=name, changes=changes)

    if attempt(run) is not None:
        flash(f"Saved settings of {name}: {', '.join(sorted(changes))}.")
        st.rerun()


# --- auto-apply ---------------------------------------------------------------------------------
def auto_apply_tab(principal: Principal, prompt_names: list[str]) -> None:
    st.caption(
        "Off by default. When enabled for a prompt, automated proposals of these low-risk classes that carry "
        "enough statistical evidence are approved and applied without review — and watched after applying. "
        f"Low-risk classes: {', '.join(LOW_RISK_CLASSES)}."
    )
    with state.session() as session:
        policies = {name: get_auto_apply(session, prompt_name=name) for name in prompt_names}
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "prompt": name,
                    "auto-apply": ", ".join(policy.risk_classes) if policy else "off",
                    "enabled by": policy.enabled_by if policy else "",
                    "reason": policy.reason if policy else "",
                    "changed": policy.updated_at if policy else None,
                }
                for name, policy in policies.items()
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    name = st.selectbox("Prompt", prompt_names, key="auto_apply_prompt")
    if name is None:
        return
    current = policies[name]
    with st.form(f"auto_apply_{name}"):
        classes = st.multiselect(
            "Auto-apply these classes (none: off)",
            LOW_RISK_CLASSES,
            default=list(current.risk_classes) if current else [],
            key=f"auto_apply_classes_{name}",
        )
        reason = st.text_input("Reason", key=f"auto_apply_reason_{name}")
        submitted = st.form_submit_button("Save auto-apply policy", key="auto_apply_submit", type="primary")
    if not submitted:
        return

    def run() -> bool:
        with state.session() as session:
            set_auto_apply(session, actor=principal, prompt_name=name, risk_classes=classes, reason=reason)
        return True

    if attempt(run):
        flash(f"Auto-apply for {name}: {', '.join(classes) if classes else 'off'}.")
        st.rerun()


# --- notification channels ----------------------------------------------------------------------
def channels_tab(principal: Principal) -> None:
    with state.session() as session:
        channels = list_channels(session)
    if channels:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "name": c.name,
                        "kind": c.kind,
                        "target": c.config.get("url") or ", ".join(c.config.get("to", [])),
                        "events": ", ".join(c.events) or "all",
                        "active": c.active,
                        "added by": c.created_by,
                        "added": c.created_at,
                    }
                    for c in channels
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No notification channels yet.")
    add_column, manage_column = st.columns(2)
    with add_column:
        add_channel_form(principal)
    with manage_column:
        if channels:
            manage_channel(principal, {c.name: c for c in channels})


def add_channel_form(principal: Principal) -> None:
    st.markdown("**Add a channel**")
    kind = st.radio("Kind", ["webhook", "email"], horizontal=True, key="add_channel_kind")
    with st.form("add_channel"):
        name = st.text_input("Name", key="add_channel_name", placeholder="ops-webhook")
        if kind == "webhook":
            url = st.text_input("URL", key="add_channel_url", placeholder="https://hooks.example.com/promptloop")
            secret = st.text_input(
                "Signing secret", type="password", key="add_channel_secret", help="Leave empty to generate one."
            )
            recipients = ""
        else:
            recipients = st.text_area("Recipients", key="add_channel_to", placeholder="ops@example.com, ...")
            url = secret = ""
        events = st.multiselect("Events (none: all)", CHANNEL_EVENTS, key="add_channel_events")
        submitted = st.form_submit_button("Add channel", key="add_channel_submit", type="primary")
    if not submitted:
        return

    def run() -> AddedChannel:
        with state.session() as session:
            return add_channel(
                session,
                actor=principal,
                name=name.strip(),
                kind=kind,
                url=url.strip() or None,
                to=split_addresses(recipients),
                secret=secret or None,
                events=events,
            )

    added = attempt(run)
    if added is None:
        return
    flash(f"Added {added.channel.kind} channel {added.channel.name}.")
    if added.secret is not None and not secret:
        flash(f"Signing secret of {added.channel.name} — shown once, give it to the receiver: `{added.secret}`", "info")
    st.rerun()


def manage_channel(principal: Principal, channels: dict[str, ChannelView]) -> None:
    st.markdown("**Change, test or remove a channel**")
    name = st.selectbox("Channel", list(channels), key="manage_channel_name")
    channel = channels[name]
    kind, config = channel.kind, channel.config
    with st.form(f"update_channel_{name}"):
        if kind == "webhook":
            target = st.text_input("URL", value=config.get("url", ""), key=f"update_channel_url_{name}")
        else:
            target = st.text_area("Recipients", value=", ".join(config.get("to", [])), key=f"update_channel_to_{name}")
        events = st.multiselect(
            "Events (none: all)", CHANNEL_EVENTS, default=list(channel.events), key=f"update_channel_events_{name}"
        )
        active = st.checkbox("Active", value=channel.active, key=f"update_channel_active_{name}")
        submitted = st.form_submit_button("Save channel", key="update_channel_submit", type="primary")
    if submitted:

        def run_update() -> object:
            with state.session() as session:
                return update_channel(
                    session,
                    actor=principal,
                    name=name,
                    url=target.strip() if kind == "webhook" else None,
                    to=split_addresses(target) if kind == "email" else None,
                    events=events,
                    active=active,
                )

        if attempt(run_update) is not None:
            flash(f"Saved channel {name}.")
            st.rerun()
    test_column, remove_column = st.columns(2)
    if test_column.button("Send test event", key="test_channel", icon=":material/send:"):
        send_test(principal, name)
    confirm = remove_column.checkbox(f"Yes, remove {name}", key=f"remove_channel_confirm_{name}")
    if remove_column.button("Remove channel", key="remove_channel", disabled=not confirm, icon=":material/delete:"):

        def run_remove() -> bool:
            with state.session() as session:
                remove_channel(session, actor=principal, name=name)
            return True

        if attempt(run_remove):
            flash(f"Removed channel {name}.")
            st.rerun()


def send_test(principal: Principal, name: str) -> None:
    def queue() -> int:
        with state.session() as session:
            require(principal, Action.MANAGE_CHANNELS)
            return notify(
                session, Event(type="test", title=f"Test from {principal.actor}", data={}), channel_names=[name]
            )

    if attempt(queue) is None:
        return
    with st.spinner(f"Sending a test event to {name}…"):
        report: DeliveryReport = deliver_pending(state.engine(), settings=state.settings())
    outcome = next((o for o in report.outcomes if o.channel == name and o.event_type == "test"), None)
    if outcome is None:
        st.info(f"Queued a test event for {name}; it goes out with the next delivery run.")
    elif outcome.status == "delivered":
        st.success(f"Delivered a test event to {name}.")
    else:
        st.error(f"{name}: {outcome.status} after {outcome.attempts} attempt(s): {outcome.error}")


with state.session() as session:
    prompt_names = [p.name for p in list_prompts(session)]

users, settings, auto_apply, channels = st.tabs(["Users", "Prompt settings", "Auto-apply", "Notification channels"])
with users:
    users_tab(principal)
with settings:
    settings_tab(principal, prompt_names)
with auto_apply:
    auto_apply_tab(principal, prompt_names)
with channels:
    channels_tab(principal)
