"""Hourly insight discovery: refresh rollups → analytics → rules → upsert insights → notify on critical.

One prompt's failure is recorded (logged, returned in the summary) and the others go on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger
from sqlalchemy import Engine

from core.config import Settings
from core.db.engine import transaction
from core.insights.discovery import DiscoveryResult, discover_prompt
from flows.common import engine_for, io_task, prompt_names, refresh_rollups_task, resolve_now
from flows.notifications import deliver, notify_critical_insights


@io_task("discover-prompt")
def discover_task(engine: Engine, prompt_name: str, now: datetime, settings: Settings) -> DiscoveryResult:
    with transaction(engine) as session:
        return discover_prompt(session, prompt_name=prompt_name, now=now, settings=settings)


@flow(name="insight-discovery")
def insight_discovery(now: datetime | None = None, prompts: list[str] | None = None) -> dict[str, Any]:
    """Discover insights for every prompt (or the named ones) as of ``now`` (default: the current time)."""
    logger = get_run_logger()
    settings = Settings()
    engine = engine_for(settings)
    try:
        refreshed = refresh_rollups_task(engine)
        logger.info("rollups refreshed: %s", refreshed)
        at = resolve_now(now)
        results: list[DiscoveryResult] = []
        errors: dict[str, str] = {}
        partial: dict[str, dict[str, str]] = {}
        names = prompt_names(engine, prompts)
        for index, name in enumerate(names, 1):
            try:
                result = discover_task(engine, name, at, settings)
            except Exception as exc:  # isolate: record and go on with the next prompt
                logger.error("prompt %s failed: %s", name, exc)
                errors[name] = f"{type(exc).__name__}: {exc}"
                continue
            results.append(result)
            if result.errors:  # parts or rules of this prompt that failed while the rest ran
                logger.warning("prompt %s: partly analysed; failed: %s", name, result.errors)
                partial[name] = dict(result.errors)
            logger.info(
                "[%d/%d] %s: %d findings, %d opened, %d updated, %d resolved, %d critical",
                index, len(names), name, result.findings, result.opened, result.updated, result.resolved,
                len(result.critical),
            )  # fmt: skip
        critical = [ref for result in results for ref in result.critical]
        queued = notify_critical_insights(engine, critical, settings=settings)
        delivered = deliver(engine, settings=settings)
        return {
            "prompts": len(names),
            "opened": sum(r.opened for r in results),
            "updated": sum(r.updated for r in results),
            "resolved": sum(r.resolved for r in results),
            "critical": len(critical),
            "notifications_queued": queued,
            "notifications_sent": delivered,
            "errors": errors,
            "partial_errors": partial,
        }
    finally:
        engine.dispose()
