"""Test accounts for console tests: passwordless users of each role, signed in through session state.

The console's gate re-reads the signed-in email from the database on every run, so putting an
existing user's email in ``st.session_state`` is exactly what a successful password sign-in leaves
behind; the sign-in form itself is tested in ``test_auth_page.py``.
"""

from __future__ import annotations

from sqlalchemy import Engine

from core.db.engine import make_engine, transaction
from core.errors import NotFoundError
from core.governance.users import add_user, has_users, principal_for

ADMIN = "admin@console.test"
ROLES = ("viewer", "operator", "admin")


def email_for(role: str) -> str:
    return f"{role}@console.test"


def ensure_user(target: Engine | str, user: str, *, role: str | None = None) -> str:
    """Make sure ``user`` exists and return its email.

    ``user`` is a role name (``"viewer"`` → ``viewer@console.test`` with that role) or an email
    (created with ``role``, default operator, if missing). The first account made on an empty
    table is ``admin@console.test``, which then adds the others.
    """
    email, wanted = (email_for(user), user) if user in ROLES else (user, role or "operator")
    engine = make_engine(target) if isinstance(target, str) else target
    try:
        with transaction(engine) as s:
            if not has_users(s):
                add_user(s, actor=None, email=ADMIN, role="admin", display_name="Console test admin")
            try:
                principal_for(s, email=email)
            except NotFoundError:
                add_user(s, actor=principal_for(s, email=ADMIN), email=email, role=wanted)
    finally:
        if isinstance(target, str):
            engine.dispose()
    return email
