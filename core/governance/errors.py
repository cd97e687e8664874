"""Named governance errors (all are ``core.errors.PromptloopError``s, so every shell shows one line)."""

from __future__ import annotations

from core.errors import ConflictError, PermissionDeniedError, PromptloopError


class AuthenticationError(PromptloopError):
    """Login failed. The message never says whether the email exists."""


class IllegalTransitionError(ConflictError):
    """A change request cannot move from its current status to the requested one."""


class GuardrailRefusedError(PermissionDeniedError):
    """A proposal broke a guardrail rule; ``code`` names the rule (see ``core.governance.guardrails``)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class NotAvailableError(PromptloopError):
    """The feature exists as a seam but cannot run yet (e.g. experiment change requests)."""
