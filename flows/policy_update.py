"""Daily policy update: recommendations → change requests, apply what is due, watch recent promotions.

1. Accepted recommendations that pass the guardrails become ``policy_change`` requests (a candidate
   version with the changed policy or budget, its diff attached). Refusals stay recommendations.
2. Approved requests whose apply window has come are applied (each in its own transaction).
3. Post-apply watch: every version promoted in the last ``watch_window_days`` is compared with the
   one it replaced (``core.governance.watch``); a significant regression opens a rollback request —
   applied at once where an admin enabled auto-apply for rollbacks — and notifies.

Each item is isolated: one failing recommendation, request or prompt is recorded and the rest go on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger
from sqlalchemy import Engine

from core.config import Settings
from core.db.engine import transaction
from core.errors import PromptloopError
from core.governance.changes import Proposal, propose_rollback
from core.governance.decisions import apply_due
from core.governance.queries import list_change_requests
from core.governance.recommendations import accepted_not_proposed, propose_from_recommendation
from core.governance.roles import Principal, flow_principal
from core.governance.rules import GovernanceRules
from core.governance.watch import WatchedMove, WatchResult, recent_moves, watch_move
from flows.common import engine_for, io_task, refresh_rollups_task, resolve_now
from flows.notifications import deliver

ACTOR = flow_principal("policy_update")


@io_task("accepted-recommendations")
def accepted_task(engine: Engine) -> list[int]:
    with transaction(engine) as session:
        return accepted_not_proposed(session)


@io_task("propose-from-recommendation")
def propose_task(engine: Engine, recommendation_id: int, rules: GovernanceRules, now: datetime) -> Proposal:
    with transaction(engine) as session:
        return propose_from_recommendation(
            session, actor=ACTOR, rules=rules, recommendation_id=recommendation_id, now=now
        )


@io_task("apply-due")
def apply_due_task(engine: Engine, actor: Principal, now: datetime) -> list[Any]:
    return apply_due(engine, actor=actor, now=now)


@io_task("recent-promotions")
def recent_moves_task(engine: Engine, now: datetime, window_days: int) -> list[WatchedMove]:
    with transaction(engine) as session:
        return recent_moves(session, now=now, window=timedelta(days=window_days))


@io_task("watch-promotion")
def watch_task(engine: Engine, move: WatchedMove, now: datetime) -> WatchResult:
    with transaction(engine) as session:
        return watch_move(session, move, now=now)


@io_task("propose-rollback")
def rollback_task(engine: Engine, result: WatchResult, rules: GovernanceRules, now: datetime) -> Proposal | None:
    """Open (or find) the rollback request for a regressed promotion; None if one was already decided."""
    move = result.move
    with transaction(engine) as session:
        earlier = list_change_requests(session, prompt_name=move.prompt, label=move.label, kind="rollback")
        if any(r.created_at >= move.moved_at and r.status in ("rejected", "applied") for r in earlier):
            return None  # a person already decided about this promotion's rollback; do not ask again daily
        return propose_rollback(
            session,
            actor=ACTOR,
            rules=rules,
            prompt_name=move.prompt,
            label=move.label,
            to=move.from_version,
            reason=f"post-apply watch: {move.to_version} regressed on {', '.join(result.regressions)}",
            evidence=result.evidence(),
            now=now,
        )


@flow(name="policy-update")
def policy_update(now: datetime | None = None) -> dict[str, Any]:
    """Run the three steps as of ``now`` (default: the current time)."""
    logger = get_run_logger()
    settings = Settings()
    rules = GovernanceRules.from_settings(settings)
    engine = engine_for(settings)
    at = resolve_now(now)
    summary: dict[str, Any] = {
        "proposed": [], "refused": {}, "applied": [], "watched": [], "rollbacks": [], "errors": {}
    }  # fmt: skip
    try:
        refresh_rollups_task(engine)
        for recommendation_id in accepted_task(engine):
            try:
                proposal = propose_task(engine, recommendation_id, rules, at)
            except PromptloopError as exc:  # refused by the guardrails or no longer applicable
                logger.info("recommendation #%s stays a recommendation: %s", recommendation_id, exc)
                summary["refused"][recommendation_id] = str(exc)
                continue
            except Exception as exc:
                logger.error("recommendation #%s failed: %s", recommendation_id, exc)
                summary["errors"][f"recommendation:{recommendation_id}"] = f"{type(exc).__name__}: {exc}"
                continue
            summary["proposed"].append(proposal.request.id)
        for result in apply_due_task(engine, ACTOR, at):
            logger.info("change request #%s: %s", result.request_id, result.status)
            summary["applied"].append({"id": result.request_id, "status": result.status})
        for move in recent_moves_task(engine, at, settings.watch_window_days):
            try:
                result = watch_task(engine, move, at)
            except Exception as exc:  # isolate: record and go on with the next promotion
                logger.error("watch of %s %s failed: %s", move.prompt, move.to_version, exc)
                summary["errors"][f"watch:{move.prompt}:{move.label}"] = f"{type(exc).__name__}: {exc}"
                continue
            summary["watched"].append(f"{move.prompt} {move.label} {move.from_version}→{move.to_version}")
            logger.info("watch %s %s→%s: %s", move.prompt, move.from_version, move.to_version,
                        ", ".join(result.regressions) or "no regression")  # fmt: skip
            if not result.regressed:
                continue
            try:
                proposal = rollback_task(engine, result, rules, at)
            except PromptloopError as exc:  # refused by the guardrails (too few executions, say)
                logger.info("rollback of %s stays a finding: %s", move.prompt, exc)
                summary["refused"][f"rollback:{move.prompt}:{move.label}"] = str(exc)
                continue
            except Exception as exc:
                logger.error("rollback of %s failed: %s", move.prompt, exc)
                summary["errors"][f"rollback:{move.prompt}"] = f"{type(exc).__name__}: {exc}"
                continue
            if proposal is not None:
                summary["rollbacks"].append(
                    {"prompt": move.prompt, "request_id": proposal.request.id, "applied": proposal.applied is not None}
                )
        summary["notifications_sent"] = deliver(engine, settings=settings)
        return summary
    finally:
        engine.dispose()
