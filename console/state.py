"""What every page needs: settings and one engine per console process.

Pages open a short transaction per interaction with :func:`session`; nothing is held across reruns.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.config import Settings
from core.db.engine import make_engine, resolve_database_url, transaction


@st.cache_resource(show_spinner=False)
def _engine(database_url: str | None, home: str) -> Engine:
    settings = Settings(database_url=database_url, home=home)
    return make_engine(resolve_database_url(settings))


def settings() -> Settings:
    return Settings()


def engine() -> Engine:
    current = settings()
    return _engine(current.database_url, str(current.home))


@contextmanager
def session() -> Iterator[Session]:
    with transaction(engine()) as s:
        yield s
