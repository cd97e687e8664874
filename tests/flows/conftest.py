"""One Prefect test harness for the whole session (it costs ~10 s to start).

``PREFECT_HOME`` points into a temporary directory before Prefect is first imported, so tests never
touch a developer's ~/.prefect.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

from tests.notify.conftest import receiver  # noqa: F401  (a real local webhook receiver)

_HOME = tempfile.mkdtemp(prefix="promptloop-prefect-")
os.environ.setdefault("PREFECT_HOME", _HOME)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def flow_env(db_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch, prefect_harness: None) -> str:
    """Flows build their settings from the environment: point them at the test database."""
    monkeypatch.setenv("PROMPTLOOP_DATABASE_URL", db_url)
    monkeypatch.setenv("PROMPTLOOP_HOME", str(tmp_path))
    return db_url
