"""How promptloop talks to Prefect.

* Production: set ``PREFECT_API_URL`` to a Prefect server (on Postgres); ``promptloop serve`` (or
  workers in work pools) executes the runs.
* Embedded default: no server to run. Prefect's ephemeral mode keeps its state in a SQLite file under
  ``PREFECT_HOME`` (default ``<PROMPTLOOP_HOME>/prefect``); every promptloop process that uses Prefect
  points at the same home, so a run triggered from one process is picked up by ``promptloop serve`` in
  another.

Prefect is imported lazily by the callers so that CLI commands that do not need it stay fast.
"""

from __future__ import annotations

import os

from core.config import Settings


def configure_prefect(settings: Settings) -> None:
    """Set Prefect's environment before Prefect is first imported (an explicit setting wins)."""
    if "PREFECT_API_URL" not in os.environ:
        home = settings.home / "prefect"
        home.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("PREFECT_HOME", str(home))
    # promptloop runs without internet access in many deployments; never phone home.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", settings.log_level)
