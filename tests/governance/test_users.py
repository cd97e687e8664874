"""Users: bootstrap admin, admin-only management, last admin, login without user enumeration, demo seed."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from core.db.engine import transaction
from core.db.models.governance import User
from core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from core.governance.demo import DEMO_USERS, ensure_demo_users
from core.governance.errors import AuthenticationError
from core.governance.users import (
    add_user,
    authenticate,
    has_users,
    list_users,
    principal_for,
    set_active,
    set_password,
    set_role,
)


def test_first_user_becomes_admin_then_admins_manage_users(engine: Engine) -> None:
    with transaction(engine) as s:
        assert not has_users(s)
        first = add_user(s, actor=None, email="  Root@Example.COM ", role="viewer", display_name="Root")
    assert first.bootstrap_admin
    assert (first.user.email, first.user.role) == ("root@example.com", "admin")
    with pytest.raises(PermissionDeniedError, match="needs an admin"), transaction(engine) as s:
        add_user(s, actor=None, email="sneaky@example.com", role="admin")
    with transaction(engine) as s:
        root = principal_for(s, email="ROOT@example.com")
        second = add_user(s, actor=root, email="op@example.com", role="operator")
    assert not second.bootstrap_admin
    assert second.user.role == "operator"
    with transaction(engine) as s:
        op = principal_for(s, email="op@example.com")
    with pytest.raises(PermissionDeniedError, match="is a operator and may not manage users"), transaction(engine) as s:
        add_user(s, actor=op, email="x@example.com", role="viewer")
    with pytest.raises(ConflictError, match="already exists"), transaction(engine) as s:
        add_user(s, actor=root, email="OP@example.com", role="viewer")
    with pytest.raises(ValidationError, match="role must be one of"), transaction(engine) as s:
        add_user(s, actor=root, email="y@example.com", role="superuser")
    with pytest.raises(ValidationError, match="not an email"), transaction(engine) as s:
        add_user(s, actor=root, email="nobody", role="viewer")
    with transaction(engine) as s:
        assert [(u.email, u.role) for u in list_users(s)] == [
            ("op@example.com", "operator"),
            ("root@example.com", "admin"),
        ]


def test_roles_and_the_last_admin(engine: Engine) -> None:
    with transaction(engine) as s:
        add_user(s, actor=None, email="a@x.io", role="admin")
        admin = principal_for(s, email="a@x.io")
        add_user(s, actor=admin, email="b@x.io", role="operator")
    with pytest.raises(ConflictError, match="last active admin"), transaction(engine) as s:
        set_role(s, actor=admin, email="a@x.io", role="operator")
    with pytest.raises(ConflictError, match="last active admin"), transaction(engine) as s:
        set_active(s, actor=admin, email="a@x.io", active=False)
    with transaction(engine) as s:
        assert set_role(s, actor=admin, email="b@x.io", role="admin").role == "admin"
        assert set_role(s, actor=admin, email="a@x.io", role="viewer").role == "viewer"
        assert principal_for(s, email="a@x.io").role == "viewer"
    with transaction(engine) as s:
        b = principal_for(s, email="b@x.io")
        set_active(s, actor=b, email="a@x.io", active=False)
    with pytest.raises(PermissionDeniedError, match="deactivated"), transaction(engine) as s:
        principal_for(s, email="a@x.io")
    with pytest.raises(NotFoundError, match=r"unknown user 'ghost@x\.io'"), transaction(engine) as s:
        principal_for(s, email="ghost@x.io")


def test_authenticate_reveals_nothing_about_accounts(engine: Engine) -> None:
    with transaction(engine) as s:
        add_user(s, actor=None, email="a@x.io", role="admin", password="correct horse")
        admin = principal_for(s, email="a@x.io")
        add_user(s, actor=admin, email="oidc@x.io", role="operator")  # no password: OIDC only
        add_user(s, actor=admin, email="gone@x.io", role="operator", password="correct horse")
        set_active(s, actor=admin, email="gone@x.io", active=False)
        stored = s.scalar(select(User.password_hash).where(User.email == "a@x.io"))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    with transaction(engine) as s:
        assert authenticate(s, email="A@x.io", password="correct horse").email == "a@x.io"
    messages = set()
    for email, password in [
        ("a@x.io", "wrong horse"),
        ("nobody@x.io", "correct horse"),
        ("oidc@x.io", ""),
        ("gone@x.io", "correct horse"),
        ("not an email", "x"),
    ]:
        with pytest.raises(AuthenticationError) as failed, transaction(engine) as s:
            authenticate(s, email=email, password=password)
        messages.add(str(failed.value))
    assert messages == {"invalid email or password"}
    with pytest.raises(ValidationError, match="at least 8"), transaction(engine) as s:
        set_password(s, actor=admin, email="oidc@x.io", password="short")
    with transaction(engine) as s:
        oidc = principal_for(s, email="oidc@x.io")
        set_password(s, actor=oidc, email="oidc@x.io", password="now a password")  # your own: allowed
        assert authenticate(s, email="oidc@x.io", password="now a password").role == "operator"


def test_demo_users_are_seeded_idempotently(engine: Engine) -> None:
    with transaction(engine) as s:
        credentials = ensure_demo_users(s)
    with transaction(engine) as s:
        assert ensure_demo_users(s) == credentials
        assert [(u.email, u.role) for u in list_users(s)] == sorted((e, r) for e, _, r in credentials)
        for email, password, role in credentials:
            assert authenticate(s, email=email, password=password).role == role
    assert [role for _, _, role in credentials] == ["admin", "operator", "operator"]
    assert len(credentials) == len(DEMO_USERS)
