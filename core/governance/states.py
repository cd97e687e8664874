"""The change-request state machine (the database enforces the same edges with a trigger, 0003).

::

    pending ──approve──▶ approved ──apply──▶ applied
       │                    ├──apply finds the label moved──▶ stale
       │                    ├──apply raises──▶ failed
       ├──reject──▶ rejected │
       └──a newer request for the same prompt+label──▶ superseded ◀──┘
"""

from __future__ import annotations

from typing import Final, Literal

from core.governance.errors import IllegalTransitionError

Status = Literal["pending", "approved", "rejected", "applied", "failed", "stale", "superseded"]

TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "pending": frozenset({"approved", "rejected", "superseded"}),
    "approved": frozenset({"applied", "failed", "stale", "superseded"}),
    "rejected": frozenset(),
    "applied": frozenset(),
    "failed": frozenset(),
    "stale": frozenset(),
    "superseded": frozenset(),
}
OPEN: Final[frozenset[str]] = frozenset({"pending", "approved"})
FINAL: Final[frozenset[str]] = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())


def check_transition(request_id: int, current: str, new: str) -> None:
    if not can_transition(current, new):
        if current in FINAL:
            raise IllegalTransitionError(
                f"change request #{request_id} is {current}, a final state; open a new change request instead"
            )
        raise IllegalTransitionError(
            f"change request #{request_id} is {current}; it cannot become {new} "
            f"(from {current} it can only become {', '.join(sorted(TRANSITIONS[current]))})"
        )
