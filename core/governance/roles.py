"""Roles, principals and the one permission table every governance function checks.

* ``viewer`` reads; ``operator`` proposes, comments, approves, rejects, applies and rolls back;
  ``admin`` also manages users, settings (auto-apply), notification channels, applies a label move
  at once with a reason, and approves changes that remove or demote a guardrail section.
* A *flow* principal (``flow:policy_update``) is automation: it may read, propose, comment and apply
  requests a person has already approved, never approve or reject.

Checks run inside ``core`` functions, so every path (console, CLI, flows, later the API) gets the
same :class:`~core.errors.PermissionDeniedError`. UIs may call :func:`can` to hide buttons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

from core.errors import PermissionDeniedError, ValidationError

Role = Literal["viewer", "operator", "admin"]
PrincipalKind = Literal["user", "flow"]
ROLE_RANK: Final[dict[str, int]] = {"viewer": 0, "operator": 1, "admin": 2}
_FLOW_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class Action(StrEnum):
    READ = "read"
    PROPOSE = "propose"
    COMMENT = "comment"
    APPROVE = "approve"
    REJECT = "reject"
    APPLY = "apply"  # apply a request that is approved and due
    APPLY_IMMEDIATELY = "apply_immediately"  # open a label move and apply it at once, with a reason
    REMOVE_GUARDRAIL = "remove_guardrail"  # approve a change that removes or demotes a guardrail section
    MANAGE_USERS = "manage_users"
    MANAGE_SETTINGS = "manage_settings"  # auto-apply policies
    MANAGE_CHANNELS = "manage_channels"
    REVIEW = "review"  # triage insights, accept or reject recommendations (never a flow: no self-acceptance)


MIN_ROLE: Final[dict[Action, Role]] = {
    Action.READ: "viewer",
    Action.PROPOSE: "operator",
    Action.COMMENT: "operator",
    Action.APPROVE: "operator",
    Action.REJECT: "operator",
    Action.APPLY: "operator",
    Action.APPLY_IMMEDIATELY: "admin",
    Action.REMOVE_GUARDRAIL: "admin",
    Action.MANAGE_USERS: "admin",
    Action.MANAGE_SETTINGS: "admin",
    Action.MANAGE_CHANNELS: "admin",
    Action.REVIEW: "operator",
}
FLOW_ACTIONS: Final[frozenset[Action]] = frozenset({Action.READ, Action.PROPOSE, Action.COMMENT, Action.APPLY})

_VERBS: Final[dict[Action, str]] = {
    Action.READ: "read change requests",
    Action.PROPOSE: "propose changes",
    Action.COMMENT: "comment on change requests",
    Action.APPROVE: "approve change requests",
    Action.REJECT: "reject change requests",
    Action.APPLY: "apply change requests",
    Action.APPLY_IMMEDIATELY: "apply a change immediately",
    Action.REMOVE_GUARDRAIL: "approve removing or demoting a guardrail section",
    Action.MANAGE_USERS: "manage users",
    Action.MANAGE_SETTINGS: "change governance settings",
    Action.MANAGE_CHANNELS: "manage notification channels",
    Action.REVIEW: "review insights and recommendations",
}


@dataclass(frozen=True)
class Principal:
    """Who acts: a user (by email, with their role) or an automated flow (``flow:<name>``)."""

    email: str
    role: Role
    kind: PrincipalKind = "user"

    @property
    def actor(self) -> str:
        """The name recorded in audit events, label moves and change requests."""
        return self.email

    @property
    def is_flow(self) -> bool:
        return self.kind == "flow"

    def __str__(self) -> str:
        return self.email if self.is_flow else f"{self.email} ({self.role})"


def flow_principal(name: str) -> Principal:
    """The principal of an automated flow, e.g. ``flow_principal("policy_update")``."""
    if not _FLOW_NAME.match(name):
        raise ValidationError(f"invalid flow name '{name}': lowercase letters, digits and '_'")
    return Principal(email=f"flow:{name}", role="operator", kind="flow")


def can(principal: Principal, action: Action) -> bool:
    if principal.is_flow and action not in FLOW_ACTIONS:
        return False
    return ROLE_RANK[principal.role] >= ROLE_RANK[MIN_ROLE[action]]


def require(principal: Principal, action: Action) -> None:
    """Raise :class:`PermissionDeniedError` unless ``principal`` may perform ``action``."""
    if can(principal, action):
        return
    verb = _VERBS[action]
    if principal.is_flow:
        raise PermissionDeniedError(f"{principal.email} is automation and may not {verb}; a person must do it")
    needed = MIN_ROLE[action]
    raise PermissionDeniedError(
        f"{principal.email} is a {principal.role} and may not {verb}: that needs the {needed} role "
        "(an admin can grant it with `promptloop users set-role`)"
    )
