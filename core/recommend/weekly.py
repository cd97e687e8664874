"""The weekly optimization run: per-prompt analysis (no writes), then one finalisation for the whole run.

The flow calls :func:`analyse_prompt` per prompt (isolating failures) and :func:`finalise` once with
every analysis and every error: Benjamini–Hochberg runs across all section tests of the run, the
recommendations are stored (superseding older ones), and the report is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from core.config import Settings
from core.db.models.insights import Report
from core.governance.audit import record_event
from core.recommend.analysis import PromptAnalysis, analyse_prompt
from core.recommend.gating import gate
from core.recommend.report import build_report
from core.recommend.store import get_recommendation, store_proposals

logger = logging.getLogger(__name__)

__all__ = ["PromptAnalysis", "WeeklyOutcome", "analyse_prompt", "finalise"]


@dataclass(frozen=True)
class WeeklyOutcome:
    report_id: int
    recommendations: int
    prompts: int
    errors: dict[str, str] = field(default_factory=dict)
    recommendation_ids: tuple[int, ...] = ()


def finalise(
    session: Session,
    *,
    analyses: Sequence[PromptAnalysis],
    errors: dict[str, str],
    now: datetime,
    settings: Settings,
    actor: str,
) -> WeeklyOutcome:
    """Gate, store the recommendations and the report; one transaction (the caller's)."""
    del settings  # the floors were resolved per prompt by analyse_prompt
    gated = gate(analyses)
    start = min((a.start for a in analyses), default=now)
    report = Report(
        period_start=start,
        period_end=now,
        generated_by=actor,
        prompts=len(analyses),
        recommendations=len(gated.proposals),
        errors=dict(errors),
        content={},
        markdown="",
    )
    session.add(report)
    session.flush()
    analysed = {a.prompt: (a.prompt_id, a.version_id) for a in analyses}
    rows = store_proposals(session, report_id=report.id, proposals=gated.proposals, analysed=analysed, actor=actor)
    views = [get_recommendation(session, recommendation_id=row.id) for row in rows]
    report.content, report.markdown = build_report(
        analyses=analyses, gated=gated, recommendations=views, errors=errors, start=start, end=now
    )
    session.flush()
    record_event(
        session,
        actor=actor,
        action="report.created",
        entity_type="report",
        entity_id=report.id,
        after={"prompts": len(analyses), "recommendations": len(rows), "errors": sorted(errors)},
    )
    logger.info("weekly report #%d: %d prompts, %d recommendations", report.id, len(analyses), len(rows))
    return WeeklyOutcome(
        report_id=report.id,
        recommendations=len(rows),
        prompts=len(analyses),
        errors=dict(errors),
        recommendation_ids=tuple(row.id for row in rows),
    )
