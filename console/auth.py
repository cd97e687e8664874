"""The console's login gate and the signed-in principal.

Two ways in, chosen by configuration:

* **OIDC** (production): when the secrets have an ``[auth]`` section, Streamlit's ``st.login`` does
  the sign-in with the identity provider and ``st.user`` carries the verified email. The console
  acts as :func:`core.governance.users.principal_for` that email, so roles live in promptloop's own
  ``users`` table: someone the provider knows but promptloop does not is told to ask an admin.
* **Local accounts** (otherwise): an email/password form checked by
  :func:`core.governance.users.authenticate` (Argon2id); the session keeps the *email* only.

Either way the principal is re-read from the database on every run, so a role change or a
deactivation takes effect at the user's next click, not at their next login. Until someone is
signed in, no page runs: the sign-in form is shown at whatever address was opened, so every page
(including pages added later) is behind the gate and deep links survive sign-in. Enforcement of
what a principal may do stays in ``core``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

import streamlit as st

from console import state
from core.errors import NotFoundError, PermissionDeniedError, ValidationError
from core.governance.errors import AuthenticationError
from core.governance.roles import Action, Principal, can
from core.governance.users import authenticate, has_users, principal_for

LOCAL_USER_KEY = "promptloop_signed_in_email"  # local accounts: the email signed in this session
_PRINCIPAL_KEY = "_promptloop_principal"  # the principal the gate resolved for the current run


def oidc_section() -> Mapping[str, Any] | None:
    """The ``[auth]`` secrets section when OIDC is configured, else None (no secrets file is fine)."""
    try:
        section = st.secrets["auth"]
    except (KeyError, FileNotFoundError):  # StreamlitSecretNotFoundError is a FileNotFoundError
        return None
    return section if isinstance(section, Mapping) and section else None


def oidc_providers(section: Mapping[str, Any]) -> list[str | None]:
    """Named providers (``[auth.NAME]`` tables), or ``[None]`` for the unnamed default provider."""
    named = [name for name, value in section.items() if isinstance(value, Mapping)]
    return list(named) or [None]


def authlib_installed() -> bool:
    """``st.login`` needs Authlib (``pip install 'streamlit[auth]'``)."""
    return importlib.util.find_spec("authlib") is not None


def gate(pages: Mapping[str, list[Any]]) -> Principal:
    """Return the signed-in principal, or show the sign-in form instead of the page and stop the run.

    Every page stays registered while signed out (hidden), so a link to a page — from a colleague or
    a notification — keeps its address through sign-in and opens once the user is in.
    """
    section = oidc_section()
    principal, problem = _resolve_oidc() if section is not None else _resolve_local()
    if principal is None:
        st.session_state.pop(_PRINCIPAL_KEY, None)
        st.navigation(pages, position="hidden")  # routes resolve; the page itself does not run
        _sign_in_page(section, problem)
        st.stop()
    st.session_state[_PRINCIPAL_KEY] = principal
    return principal


def current_principal() -> Principal:
    """The principal of this run (pages call this; the gate in ``app.py`` has resolved it)."""
    principal = st.session_state.get(_PRINCIPAL_KEY)
    if not isinstance(principal, Principal):
        st.error("You are not signed in.")
        st.stop()
    return principal


def is_admin(principal: Principal) -> bool:
    return can(principal, Action.MANAGE_USERS)


def sidebar(principal: Principal) -> None:
    """Who is signed in, with their role, and the sign-out button."""
    with st.sidebar:
        st.caption(f"Signed in as **{principal.email}** · {principal.role}")
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            sign_out()


def sign_out() -> None:
    st.session_state.pop(LOCAL_USER_KEY, None)
    st.session_state.pop(_PRINCIPAL_KEY, None)
    if oidc_section() is not None and st.user.get("is_logged_in"):
        st.logout()  # clears st.user and sends the browser to Streamlit's logout endpoint (cookie removed)
    st.rerun()


def _resolve_local() -> tuple[Principal | None, str | None]:
    email = st.session_state.get(LOCAL_USER_KEY)
    if not email:
        return None, None
    try:
        with state.session() as session:
            return principal_for(session, email=email), None
    except (NotFoundError, PermissionDeniedError, ValidationError) as exc:
        # Removed or deactivated since signing in: end the session and say why.
        st.session_state.pop(LOCAL_USER_KEY, None)
        return None, str(exc)


def _resolve_oidc() -> tuple[Principal | None, str | None]:
    if not st.user.get("is_logged_in"):
        return None, None
    email = str(st.user.get("email") or "").strip()
    if not email:
        return None, (
            "The identity provider did not share an email address. Ask your administrator to include the "
            "`email` scope/claim for promptloop."
        )
    if st.user.get("email_verified") is False:
        return None, f"The identity provider has not verified {email}; verify it there, then sign in again."
    try:
        with state.session() as session:
            return principal_for(session, email=email), None
    except NotFoundError:
        return None, (
            f"You are signed in as {email}, but {email} is not a promptloop user yet. Ask an admin to add you "
            f"(Admin → Users, or `promptloop users add {email} --role viewer`)."
        )
    except (PermissionDeniedError, ValidationError) as exc:
        return None, str(exc)


def _sign_in_page(section: Mapping[str, Any] | None, problem: str | None) -> None:
    st.title("promptloop")
    if section is not None:
        _oidc_form(section, problem)
    else:
        _local_form(problem)


def _oidc_form(section: Mapping[str, Any], problem: str | None) -> None:
    if problem:
        st.error(problem)
        if st.user.get("is_logged_in") and st.button("Sign out", key="oidc_sign_out"):
            st.logout()
            st.rerun()
        return
    if not authlib_installed():
        st.error(
            "Single sign-on is configured (`[auth]` in secrets.toml) but Authlib is missing: install it with "
            "`pip install 'streamlit[auth]'` (Authlib >= 1.3.2) and restart the console."
        )
        return
    st.write("Sign in with your organisation's account.")
    for provider in oidc_providers(section):
        label = f"Sign in with {provider}" if provider else "Sign in"
        if st.button(label, key=f"oidc_login_{provider or 'default'}", type="primary"):
            st.login(provider)


def _local_form(problem: str | None) -> None:
    if problem:
        st.warning(f"You were signed out: {problem}")
    with state.session() as session:
        bootstrapped = has_users(session)
    if not bootstrapped:
        st.info(
            "No users yet. Create the first one (it becomes an admin) with "
            "`promptloop users add you@example.com --role admin`, or run `promptloop demo`."
        )
    with st.form("sign_in"):
        email = st.text_input("Email", key="sign_in_email")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary", key="sign_in_submit")
    if not submitted:
        return
    if not email.strip() or not password:
        st.error("Enter your email and your password.")
        return
    try:
        with state.session() as session:
            principal = authenticate(session, email=email, password=password)
    except AuthenticationError as exc:
        st.error(f"Sign-in failed: {exc}.")
        return
    st.session_state[LOCAL_USER_KEY] = principal.email
    st.rerun()
