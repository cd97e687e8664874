"""Hourly discovery for one prompt: snapshot (analytics + patterns) → rules → upsert insights.

The flow calls :func:`discover_prompt` once per prompt, each in its own transaction, and passes
``DiscoveryResult.critical`` to the notification seam; nothing here notifies.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from core.config import Settings
from core.insights.rules import run_rules
from core.insights.snapshot import build_snapshot
from core.insights.store import InsightRef, upsert_findings
from core.registry.prompts import get_prompt

logger = logging.getLogger(__name__)

__all__ = ["DiscoveryResult", "InsightRef", "discover_prompt"]


@dataclass(frozen=True)
class DiscoveryResult:
    prompt: str
    findings: int
    opened: int
    updated: int
    resolved: int
    critical: list[InsightRef]
    errors: dict[str, str] = field(default_factory=dict)  # parts or rules that failed (the rest ran)
    seconds: float = 0.0


def discover_prompt(session: Session, *, prompt_name: str, now: datetime, settings: Settings) -> DiscoveryResult:
    started = time.perf_counter()
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    prompt = get_prompt(session, name=prompt_name)
    snapshot = build_snapshot(session, prompt=prompt, now=now, tz=settings.timezone)
    run = run_rules(snapshot)
    counts = upsert_findings(session, prompt_id=prompt.id, prompt=prompt.name, run=run, now=now)
    errors = {**snapshot.errors, **{f"rule:{k}": v for k, v in run.errors.items()}}
    seconds = time.perf_counter() - started
    logger.info(
        "insights %s: %d findings, %d opened, %d updated, %d resolved (%.2f s)",
        prompt_name, len(run.findings), counts.opened, counts.updated, counts.resolved, seconds,
    )  # fmt: skip
    return DiscoveryResult(
        prompt=prompt.name,
        findings=len(run.findings),
        opened=counts.opened,
        updated=counts.updated,
        resolved=counts.resolved,
        critical=counts.critical,
        errors=errors,
        seconds=seconds,
    )
