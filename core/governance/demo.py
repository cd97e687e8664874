"""Demo accounts: one admin and two operators with documented passwords (for the demo only).

=========================  ====================  ========
email                      password              role
=========================  ====================  ========
admin@demo.promptloop      demo-admin-pass       admin
alice@demo.promptloop      demo-alice-pass       operator
bob@demo.promptloop        demo-bob-pass         operator
=========================  ====================  ========

Two operators so the two-person rule can be shown: alice proposes, bob approves.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy.orm import Session

from core.errors import NotFoundError
from core.governance.roles import Principal
from core.governance.users import add_user, get_user

DEMO_USERS: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("admin@demo.promptloop", "demo-admin-pass", "admin", "Demo Admin"),
    ("alice@demo.promptloop", "demo-alice-pass", "operator", "Alice (demo operator)"),
    ("bob@demo.promptloop", "demo-bob-pass", "operator", "Bob (demo operator)"),
)
_SEEDER: Final = Principal(email="system:demo", role="admin", kind="user")


def ensure_demo_users(session: Session) -> list[tuple[str, str, str]]:
    """Create the demo accounts that are missing; returns ``(email, password, role)`` of all three.

    Existing accounts are left as they are (a changed password stays changed). Seeding acts as the
    ``system:demo`` admin, so it works on an empty table and on one that already has users.
    """
    for email, password, role, name in DEMO_USERS:
        try:
            get_user(session, email=email)
        except NotFoundError:
            add_user(session, actor=_SEEDER, email=email, role=role, display_name=name, password=password)
    return [(email, password, role) for email, password, role, _ in DEMO_USERS]
