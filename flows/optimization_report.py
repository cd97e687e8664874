"""Weekly optimization report: per-prompt analysis → recommendations (BH across all prompts) → report.

One prompt's failure is recorded in the report and the others go on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger
from sqlalchemy import Engine

from core.config import Settings
from core.db.engine import transaction
from core.recommend.weekly import PromptAnalysis, WeeklyOutcome, analyse_prompt, finalise
from flows.common import engine_for, io_task, prompt_names, refresh_rollups_task, resolve_now
from flows.notifications import deliver

ACTOR = "flow:optimization-report"


@io_task("analyse-prompt")
def analyse_task(engine: Engine, prompt_name: str, now: datetime, settings: Settings) -> PromptAnalysis:
    with transaction(engine) as session:
        return analyse_prompt(session, prompt_name=prompt_name, now=now, settings=settings)


@io_task("write-report")
def finalise_task(
    engine: Engine, analyses: list[PromptAnalysis], errors: dict[str, str], now: datetime, settings: Settings
) -> WeeklyOutcome:
    with transaction(engine) as session:
        return finalise(session, analyses=analyses, errors=errors, now=now, settings=settings, actor=ACTOR)


@flow(name="optimization-report")
def optimization_report(now: datetime | None = None, prompts: list[str] | None = None) -> dict[str, Any]:
    """Recommendations and the weekly report as of ``now`` (default: the current time)."""
    logger = get_run_logger()
    settings = Settings()
    engine = engine_for(settings)
    try:
        refresh_rollups_task(engine)
        at = resolve_now(now)
        analyses: list[PromptAnalysis] = []
        errors: dict[str, str] = {}
        names = prompt_names(engine, prompts)
        for index, name in enumerate(names, 1):
            try:
                analyses.append(analyse_task(engine, name, at, settings))
            except Exception as exc:  # isolate: record and go on
                logger.error("prompt %s failed: %s", name, exc)
                errors[name] = f"{type(exc).__name__}: {exc}"
                continue
            logger.info("[%d/%d] analysed %s", index, len(names), name)
        outcome = finalise_task(engine, analyses, errors, at, settings)
        logger.info("report %s: %d recommendations", outcome.report_id, outcome.recommendations)
        deliver(engine, settings=settings)
        return {
            "report_id": outcome.report_id,
            "recommendations": outcome.recommendations,
            "prompts": outcome.prompts,
            "errors": outcome.errors,
        }
    finally:
        engine.dispose()
