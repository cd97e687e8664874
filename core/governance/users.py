"""Users: add, change role, (de)activate, set password, authenticate, resolve to a :class:`Principal`.

The first user added to an empty table becomes an admin whatever role was asked for, so a fresh
installation can bootstrap itself (``promptloop users add me@example.com --role operator`` on an
empty table creates an admin). After that, adding and changing users needs an admin.

Passwords are hashed with Argon2id (argon2-cffi's defaults); users who log in through OIDC have no
password hash. :func:`authenticate` answers every failure with the same message and does the same
amount of hashing work whether or not the email exists, so it reveals nothing about which accounts
exist.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.db.models.governance import ROLES, User
from core.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from core.governance.audit import record_event
from core.governance.errors import AuthenticationError
from core.governance.roles import Action, Principal, Role, require

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Serialises user writers so "the first user becomes admin" and "keep one admin" hold under races.
_USERS_LOCK_ID = 0x75736572  # "user"
_LOGIN_FAILED = "invalid email or password"


@dataclass(frozen=True)
class UserView:
    """A user as callers see it (never the password hash)."""

    email: str
    display_name: str
    role: Role
    active: bool
    has_password: bool
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            email=user.email,
            display_name=user.display_name,
            role=_as_role(user.role),
            active=user.active,
            has_password=user.password_hash is not None,
            created_by=user.created_by,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )


@dataclass(frozen=True)
class AddedUser:
    user: UserView
    bootstrap_admin: bool  # True: the table was empty, so this user was made an admin


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so both paths cost the same."""
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher().hash(password)


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    if not _EMAIL.match(value):
        raise ValidationError(f"'{email}' is not an email address (expected name@domain)")
    return value


def _as_role(value: str) -> Role:
    if value == "viewer":
        return "viewer"
    if value == "operator":
        return "operator"
    if value == "admin":
        return "admin"
    raise ValidationError(f"role must be one of {', '.join(ROLES)}, not '{value}'")


def _lock_users(session: Session) -> None:
    session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _USERS_LOCK_ID})


def _find(session: Session, email: str, *, for_update: bool = False) -> User | None:
    query = select(User).where(User.email == normalize_email(email))
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def _get(session: Session, email: str, *, for_update: bool = False) -> User:
    user = _find(session, email, for_update=for_update)
    if user is None:
        raise NotFoundError(f"unknown user '{email}' (see `promptloop users list`)")
    return user


def add_user(
    session: Session,
    *,
    actor: Principal | None,
    email: str,
    role: str,
    display_name: str = "",
    password: str | None = None,
) -> AddedUser:
    """Add a user. ``actor`` may be None only while the table is empty (the bootstrap admin)."""
    wanted = _as_role(role)
    address = normalize_email(email)
    password_hash = hash_password(password) if password is not None else None
    _lock_users(session)
    bootstrap = session.scalar(select(func.count()).select_from(User)) == 0
    if not bootstrap:
        if actor is None:
            raise PermissionDeniedError("adding users needs an admin: act as one (`--user ADMIN_EMAIL`)")
        require(actor, Action.MANAGE_USERS)
    if _find(session, address) is not None:
        raise ConflictError(f"user '{address}' already exists (change their role with `promptloop users set-role`)")
    user = User(
        email=address,
        display_name=display_name.strip(),
        role="admin" if bootstrap else wanted,
        password_hash=password_hash,
        created_by=actor.actor if actor is not None else "system:bootstrap",
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=user.created_by,
        action="user.added",
        entity_type="user",
        entity_id=address,
        after={"role": user.role, "display_name": user.display_name, "bootstrap_admin": bootstrap},
    )
    if bootstrap and wanted != "admin":
        logger.info("first user %s became an admin (asked for %s)", address, wanted)
    return AddedUser(user=UserView.of(user), bootstrap_admin=bootstrap)


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active)) or 0


def set_role(session: Session, *, actor: Principal, email: str, role: str) -> UserView:
    """Change a user's role (admins only); the last active admin cannot be demoted."""
    require(actor, Action.MANAGE_USERS)
    new_role = _as_role(role)
    _lock_users(session)
    user = _get(session, email, for_update=True)
    before = user.role
    if before == new_role:
        return UserView.of(user)
    if before == "admin" and user.active and _active_admins(session) <= 1:
        raise ConflictError(f"{user.email} is the last active admin; make someone else an admin first")
    user.role = new_role
    user.updated_at = datetime.now(UTC)
    record_event(
        session,
        actor=actor.actor,
        action="user.role_changed",
        entity_type="user",
        entity_id=user.email,
        before={"role": before},
        after={"role": new_role},
    )
    return UserView.of(user)


def set_active(session: Session, *, actor: Principal, email: str, active: bool) -> UserView:
    """Deactivate (or reactivate) a user; a deactivated user can neither log in nor act."""
    require(actor, Action.MANAGE_USERS)
    _lock_users(session)
    user = _get(session, email, for_update=True)
    if user.active == active:
        return UserView.of(user)
    if not active and user.role == "admin" and _active_admins(session) <= 1:
        raise ConflictError(f"{user.email} is the last active admin; make someone else an admin first")
    user.active = active
    user.updated_at = datetime.now(UTC)
    record_event(
        session,
        actor=actor.actor,
        action="user.activated" if active else "user.deactivated",
        entity_type="user",
        entity_id=user.email,
        before={"active": not active},
        after={"active": active},
    )
    return UserView.of(user)


def set_password(session: Session, *, actor: Principal, email: str, password: str | None) -> None:
    """Set or clear (None: OIDC only) a password: for yourself, or for anyone as an admin."""
    user = _get(session, email, for_update=True)
    if actor.is_flow or actor.email != user.email:
        require(actor, Action.MANAGE_USERS)
    user.password_hash = hash_password(password) if password is not None else None
    user.updated_at = datetime.now(UTC)
    record_event(
        session,
        actor=actor.actor,
        action="user.password_set" if password is not None else "user.password_cleared",
        entity_type="user",
        entity_id=user.email,
    )


def has_users(session: Session) -> bool:
    """False on a fresh installation: the next user added becomes the bootstrap admin."""
    return session.scalar(select(User.id).limit(1)) is not None


def get_user(session: Session, *, email: str) -> UserView:
    return UserView.of(_get(session, email))


def list_users(session: Session, *, include_inactive: bool = True) -> Sequence[UserView]:
    query = select(User).order_by(User.email)
    if not include_inactive:
        query = query.where(User.active)
    return [UserView.of(user) for user in session.scalars(query)]


def principal_for(session: Session, *, email: str) -> Principal:
    """The principal of an existing, active user (what the CLI and the console act as)."""
    user = _find(session, email)
    if user is None:
        raise NotFoundError(
            f"unknown user '{email}': ask an admin to add you (`promptloop users add {email.strip()} --role operator`)"
        )
    if not user.active:
        raise PermissionDeniedError(f"user '{user.email}' is deactivated; ask an admin to reactivate the account")
    return Principal(email=user.email, role=_as_role(user.role), kind="user")


def authenticate(session: Session, *, email: str, password: str) -> Principal:
    """Check a password login; every failure raises the same :class:`AuthenticationError`."""
    try:
        user = _find(session, email)
    except ValidationError:
        user = None
    stored = user.password_hash if user is not None and user.active else None
    try:
        _hasher().verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationError(_LOGIN_FAILED) from None
    if user is None or stored is None:
        raise AuthenticationError(_LOGIN_FAILED)
    if _hasher().check_needs_rehash(stored):
        user.password_hash = _hasher().hash(password)
    return Principal(email=user.email, role=_as_role(user.role), kind="user")
