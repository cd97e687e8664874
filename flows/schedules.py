"""Every scheduled flow, in one place: name, entrypoint, schedule.

Cron expressions are read in the time zone of ``Settings.timezone`` (``PROMPTLOOP_TIMEZONE``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from core.errors import NotFoundError


@dataclass(frozen=True)
class ScheduledFlow:
    name: str  # the flow's name in Prefect and on the command line
    entrypoint: str  # "module:function"
    cron: str
    description: str

    def load(self) -> Any:
        """Import the flow object (imports Prefect)."""
        module_name, attribute = self.entrypoint.split(":")
        return getattr(importlib.import_module(module_name), attribute)


CATALOGUE: tuple[ScheduledFlow, ...] = (
    ScheduledFlow(
        name="insight-discovery",
        entrypoint="flows.insight_discovery:insight_discovery",
        cron="0 * * * *",
        description="hourly: refresh rollups, run the insight rules, notify on critical insights",
    ),
    ScheduledFlow(
        name="optimization-report",
        entrypoint="flows.optimization_report:optimization_report",
        cron="0 6 * * 1",
        description="weekly, Monday 06:00: recommendations and the optimization report",
    ),
    ScheduledFlow(
        name="policy-update",
        entrypoint="flows.policy_update:policy_update",
        cron="30 6 * * *",
        description="daily 06:30: accepted recommendations to change requests, apply due, post-apply watch",
    ),
)

DEPLOYMENT = "scheduled"  # deployment name of every served flow: "<flow>/scheduled"


def find(name: str) -> ScheduledFlow:
    wanted = name.replace("_", "-")
    for flow in CATALOGUE:
        if flow.name == wanted:
            return flow
    known = ", ".join(f.name for f in CATALOGUE)
    raise NotFoundError(f"unknown flow '{name}' (known: {known})")
