"""Running a governed action from a page: domain errors become one clear message, successes survive the rerun.

Core functions enforce roles, the two-person rule and the guardrails and raise named
:class:`~core.errors.PromptloopError`s whose messages say what to do next; pages show them as they
are. A success is queued with :func:`flash` and shown by :func:`show_flashes` after the
``st.rerun()`` that refreshes the page, so the message is not lost with the old page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

import streamlit as st

from core.errors import PromptloopError

T = TypeVar("T")
Kind = Literal["success", "info", "warning", "error"]
_FLASH_KEY = "_promptloop_flash"


def attempt(action: Callable[[], T]) -> T | None:
    """Run ``action`` (which opens its own transaction); on a domain error show it and return None.

    The transaction rolls back on the error, so nothing partial is written.
    """
    try:
        return action()
    except PromptloopError as exc:
        st.error(str(exc), icon=":material/block:")
        return None


def flash(message: str, kind: Kind = "success") -> None:
    """Queue a message for the next run of this session (call before ``st.rerun()``)."""
    st.session_state.setdefault(_FLASH_KEY, []).append((kind, message))


def show_flashes() -> None:
    """Show (once) the messages queued by :func:`flash`."""
    for kind, message in st.session_state.pop(_FLASH_KEY, []):
        getattr(st, kind)(message)
