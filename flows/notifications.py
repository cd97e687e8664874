"""The flows' notification seam: queue events in the outbox, then drain it.

Governance functions queue their own events (change request opened / approved / applied / failed,
rollback) inside their transactions; the flows queue critical insights here. Every flow run ends by
delivering whatever is due, so the outbox drains at least hourly even when nobody runs
``promptloop notify deliver``. Delivery never raises into the flow.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from core.config import Settings
from core.db.engine import transaction
from core.insights.discovery import InsightRef
from core.notify.deliver import deliver_pending
from core.notify.events import Event, notify


def notify_critical_insights(engine: Engine, critical: Sequence[InsightRef], *, settings: Settings) -> int:
    """Queue one ``insight.critical`` event per newly critical insight; returns deliveries queued."""
    if not critical:
        return 0
    with transaction(engine) as session:
        return sum(
            notify(
                session,
                Event(
                    type="insight.critical",
                    title=f"[{ref.prompt}] {ref.title}",
                    data={"insight_id": ref.id, "key": ref.key, "prompt": ref.prompt, "category": ref.category},
                ),
            )
            for ref in critical
        )


def deliver(engine: Engine, *, settings: Settings) -> int:
    """Send every due delivery; returns how many were attempted. Never raises (``deliver_pending``)."""
    return len(deliver_pending(engine, settings=settings).outcomes)
