"""Upserting one prompt's findings into insights: open, update, reopen, auto-resolve.

Lifecycle (one row per prompt and key):

* a new key opens an insight;
* an open or acknowledged insight whose condition is still found gets the new evidence (and the
  new priority; an escalation to critical is reported for notification);
* an open or acknowledged insight whose rule ran and no longer finds it resolves itself;
* a resolved insight whose condition is found again reopens (resolving says "fixed"; the data disagree);
* a dismissed insight stays dismissed while its condition persists (its evidence is still kept up
  to date); once the condition has cleared, a return of it reopens the insight.

Automatic transitions are audited with the actor :data:`SYSTEM`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models.insights import Insight
from core.governance.audit import record_event
from core.insights.findings import PRIORITY_RANK, Finding
from core.insights.rules import RuleRun

SYSTEM = "system:insight-discovery"
LIVE = ("open", "acknowledged")


@dataclass(frozen=True)
class InsightRef:
    """An insight to notify about: newly opened (or reopened) as critical, or escalated to critical."""

    id: int
    key: str
    prompt: str
    title: str
    priority: str
    category: str


@dataclass
class UpsertCounts:
    opened: int = 0
    updated: int = 0
    resolved: int = 0
    critical: list[InsightRef] = field(default_factory=list)


def upsert_findings(session: Session, *, prompt_id: int, prompt: str, run: RuleRun, now: datetime) -> UpsertCounts:
    existing = {
        i.key: i for i in session.scalars(select(Insight).where(Insight.prompt_id == prompt_id).with_for_update())
    }
    counts = UpsertCounts()
    found = set()
    for finding in run.findings:
        found.add(finding.key)
        insight = existing.get(finding.key)
        if insight is None:
            insight = _open(session, prompt_id, finding, now)
            counts.opened += 1
            _maybe_critical(counts, insight, prompt, was=None)
        elif insight.status in LIVE:
            before = insight.priority
            _refresh(insight, finding, now)
            counts.updated += 1
            _maybe_critical(counts, insight, prompt, was=before)
        elif insight.status == "dismissed" and insight.condition_present:
            _refresh(insight, finding, now)  # silenced: kept current, not reopened
        else:
            _refresh(insight, finding, now)
            _transition(session, insight, "open", now, "the condition was found again", action="insight.reopened")
            insight.times_opened += 1
            counts.opened += 1
            _maybe_critical(counts, insight, prompt, was=None)
    for key, insight in existing.items():
        if key in found or insight.rule not in run.evaluated:
            continue
        if insight.status in LIVE:
            _transition(session, insight, "resolved", now, "the condition cleared", action="insight.auto_resolved")
            counts.resolved += 1
        insight.condition_present = False
    session.flush()
    return counts


def _open(session: Session, prompt_id: int, finding: Finding, now: datetime) -> Insight:
    insight = Insight(
        prompt_id=prompt_id,
        key=finding.key,
        rule=finding.rule,
        category=finding.category,
        priority=finding.priority,
        status="open",
        title=finding.title,
        description=finding.description,
        action_items=list(finding.action_items),
        evidence=finding.evidence,
        condition_present=True,
        first_seen_at=now,
        last_seen_at=now,
        status_by=SYSTEM,
        status_at=now,
        updated_at=now,
    )
    session.add(insight)
    session.flush()
    record_event(
        session,
        actor=SYSTEM,
        action="insight.opened",
        entity_type="insight",
        entity_id=insight.id,
        after={"key": finding.key, "priority": finding.priority, "title": finding.title},
    )
    return insight


def _refresh(insight: Insight, finding: Finding, now: datetime) -> None:
    insight.rule = finding.rule
    insight.category = finding.category
    insight.priority = finding.priority
    insight.title = finding.title
    insight.description = finding.description
    insight.action_items = list(finding.action_items)
    insight.evidence = finding.evidence
    insight.condition_present = True
    insight.last_seen_at = now
    insight.updated_at = now


def _transition(session: Session, insight: Insight, status: str, now: datetime, note: str, *, action: str) -> None:
    before = {"status": insight.status}
    insight.status = status
    insight.status_by = SYSTEM
    insight.status_at = now
    insight.status_note = note
    insight.updated_at = now
    session.flush()
    record_event(
        session,
        actor=SYSTEM,
        action=action,
        entity_type="insight",
        entity_id=insight.id,
        before=before,
        after={"status": status, "note": note},
    )


def _maybe_critical(counts: UpsertCounts, insight: Insight, prompt: str, *, was: str | None) -> None:
    if insight.priority != "critical" or insight.status not in LIVE:
        return
    if was is not None and PRIORITY_RANK[was] <= PRIORITY_RANK["critical"]:
        return  # already critical: notified when it became so
    counts.critical.append(
        InsightRef(insight.id, insight.key, prompt, insight.title, insight.priority, insight.category)
    )
