"""Named domain errors. Shells (CLI, console, API, flows) turn these into one clear message.

Every message says what was wrong and, where it helps, what to do next.
"""

from __future__ import annotations


class PromptloopError(Exception):
    """Base class of every expected, user-facing error."""


class NotFoundError(PromptloopError):
    """A named thing (prompt, version, label, user, ...) does not exist."""


class ValidationError(PromptloopError):
    """Input was rejected; nothing was written."""


class ConflictError(PromptloopError):
    """The write conflicts with the current state (e.g. a duplicate name)."""


class PermissionDeniedError(PromptloopError):
    """The acting user's role does not allow the action."""
