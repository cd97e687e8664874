"""The sign-in gate: local accounts (email + password) and OIDC through st.login / st.user."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from console import auth
from console.auth import LOCAL_USER_KEY
from core.db.engine import transaction
from core.governance.users import add_user, principal_for, set_active
from tests.console.signin import ADMIN, ensure_user

APP = str(Path(__file__).resolve().parents[2] / "console" / "app.py")
PASSWORD = "correct horse battery"
OIDC = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a-long-random-cookie-secret",
        "client_id": "promptloop",
        "client_secret": "shh",
        "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
    }
}


@pytest.fixture
def carol(engine: Engine) -> str:
    ensure_user(engine, "admin")
    with transaction(engine) as s:
        add_user(s, actor=principal_for(s, email=ADMIN), email="carol@x.io", role="operator", password=PASSWORD)
    return "carol@x.io"


def page_titles(at: AppTest) -> list[str]:
    return [t.value for t in at.title]


def sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="sign_in_email").input(email)
    at.text_input(key="sign_in_password").input(password)
    return at.button(key="sign_in_submit").click().run()


def test_signed_out_sees_only_the_sign_in_form(engine: Engine, console_app: Callable[..., AppTest]) -> None:
    ensure_user(engine, "admin")
    at = console_app(user=None)
    assert not at.exception
    assert page_titles(at) == ["promptloop"]
    assert at.text_input(key="sign_in_password").proto.type == at.text_input(key="sign_in_password").proto.PASSWORD


def test_a_deep_link_shows_the_sign_in_form_then_opens_its_page(
    engine: Engine, carol: str, console_app: Callable[..., AppTest]
) -> None:
    at = console_app(user=None)
    at.switch_page("views/approvals.py")  # e.g. a notification's link to a change request
    at.run()
    assert not at.exception
    assert page_titles(at) == ["promptloop"]  # the page did not run: only the sign-in form
    assert not at.dataframe
    at = sign_in(at, carol, PASSWORD)
    assert not at.exception
    assert page_titles(at) == ["Approvals"]  # the requested page, not the default one


def test_empty_installation_explains_how_to_bootstrap(console_app: Callable[..., AppTest]) -> None:
    at = console_app(user=None)
    assert any("promptloop users add you@example.com --role admin" in i.value for i in at.info)


def test_password_sign_in_and_sign_out(carol: str, console_app: Callable[..., AppTest]) -> None:
    at = sign_in(console_app(user=None), "Carol@X.io", PASSWORD)
    assert not at.exception
    assert at.session_state[LOCAL_USER_KEY] == carol
    assert any("Signed in as **carol@x.io** · operator" in c.value for c in at.sidebar.caption)
    assert "promptloop" not in page_titles(at)  # the default page of the console is shown

    at.sidebar.button(key="sign_out").click().run()
    assert page_titles(at) == ["promptloop"]
    assert LOCAL_USER_KEY not in at.session_state


@pytest.mark.parametrize(("email", "password"), [("carol@x.io", "wrong password"), ("nobody@x.io", PASSWORD)])
def test_failed_sign_in_says_the_same_for_every_failure(
    carol: str, email: str, password: str, console_app: Callable[..., AppTest]
) -> None:
    at = sign_in(console_app(user=None), email, password)
    assert [e.value for e in at.error] == ["Sign-in failed: invalid email or password."]
    assert LOCAL_USER_KEY not in at.session_state
    assert page_titles(at) == ["promptloop"]


def test_deactivated_user_is_signed_out_at_the_next_click(
    engine: Engine, carol: str, console_app: Callable[..., AppTest]
) -> None:
    at = console_app(user=carol)
    assert "promptloop" not in page_titles(at)
    with transaction(engine) as s:
        set_active(s, actor=principal_for(s, email=ADMIN), email=carol, active=False)
    at.run()
    assert page_titles(at) == ["promptloop"]
    assert any("deactivated" in w.value for w in at.warning)


def oidc_app(db_url: str, user: dict[str, object]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets = dict(OIDC)
    at.user = user
    return at.run()


@pytest.fixture
def oidc_env(db_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PROMPTLOOP_DATABASE_URL", db_url)
    monkeypatch.setenv("PROMPTLOOP_HOME", str(tmp_path / "home"))
    ensure_user(engine, "operator")
    return db_url


def test_oidc_offers_the_provider_not_a_password(oidc_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "authlib_installed", lambda: True)
    at = oidc_app(oidc_env, {"is_logged_in": False})
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.text_input


def test_oidc_without_authlib_says_what_to_install(oidc_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "authlib_installed", lambda: False)
    at = oidc_app(oidc_env, {"is_logged_in": False})
    assert "pip install 'streamlit[auth]'" in at.error[0].value
    assert not at.button and not at.text_input


def test_oidc_user_known_to_promptloop_gets_their_role(oidc_env: str) -> None:
    at = oidc_app(oidc_env, {"is_logged_in": True, "email": "Operator@Console.test", "email_verified": True})
    assert not at.exception
    assert any("Signed in as **operator@console.test** · operator" in c.value for c in at.sidebar.caption)


def test_oidc_user_unknown_to_promptloop_is_told_to_ask_an_admin(oidc_env: str) -> None:
    at = oidc_app(oidc_env, {"is_logged_in": True, "email": "stranger@x.io"})
    assert page_titles(at) == ["promptloop"]
    [error] = at.error
    assert "stranger@x.io is not a promptloop user yet. Ask an admin to add you" in error.value
    assert [b.label for b in at.button] == ["Sign out"]


def test_oidc_unverified_email_is_refused(oidc_env: str) -> None:
    at = oidc_app(oidc_env, {"is_logged_in": True, "email": "operator@console.test", "email_verified": False})
    assert page_titles(at) == ["promptloop"]
    assert "has not verified" in at.error[0].value


def test_oidc_named_providers_get_a_button_each(oidc_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "authlib_installed", lambda: True)
    at = AppTest.from_file(APP, default_timeout=30)
    provider = {"client_id": "x", "client_secret": "y", "server_metadata_url": "https://idp/.well-known/x"}
    at.secrets = {"auth": {"redirect_uri": "http://localhost/oauth2callback", "cookie_secret": "z", "okta": provider}}
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Sign in with okta"]


def test_oidc_sign_out_ends_the_session(oidc_env: str) -> None:
    at = oidc_app(oidc_env, {"is_logged_in": True, "email": "operator@console.test"})
    at.sidebar.button(key="sign_out").click().run()
    assert at.user == {"is_logged_in": False}
    assert page_titles(at) == ["promptloop"]
