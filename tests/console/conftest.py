"""Console tests run the real Streamlit app (AppTest) against the test database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from console.auth import LOCAL_USER_KEY
from tests.console.signin import ensure_user

APP = str(Path(__file__).resolve().parents[2] / "console" / "app.py")


@pytest.fixture
def console_app(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., AppTest]:
    """Build an AppTest of the console, optionally opened at a page (e.g. ``"views/overview.py"``)."""
    monkeypatch.setenv("PROMPTLOOP_DATABASE_URL", db_url)
    monkeypatch.setenv("PROMPTLOOP_HOME", str(tmp_path / "home"))

    def build(page: str | None = None, *, timeout: float = 30, user: str | None = "viewer") -> AppTest:
        """``user``: a role (a test account with it), an existing user's email, or None (signed out)."""
        at = AppTest.from_file(APP, default_timeout=timeout)
        if user is not None:  # every page is behind the sign-in gate (console/auth.py)
            at.session_state[LOCAL_USER_KEY] = ensure_user(db_url, user)
        at.run()
        if page is not None:
            at.switch_page(page)
            at.run()
        return at

    return build
