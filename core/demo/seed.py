"""Seed a database with the demo: registry (prompts, versions, settings, back-dated label moves),
generated traffic through the regular ingestion path, then a rollup refresh.

    summary = seed_demo(engine, days=30, scale=1.0, seed=7)     # end: today (UTC)

Everything but the rollup refresh happens in one transaction: a failure leaves no half demo.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.db.engine import transaction
from core.db.models.registry import Prompt
from core.db.models.tracking import Execution, Outcome
from core.demo.calendar import Window
from core.demo.generator import DemoTraffic, PromptTraffic, check_parameters, generate, run_tag
from core.demo.plan import PromptPlan
from core.demo.scenario import ACTOR, PROMPTS
from core.errors import ConflictError
from core.registry.labels import move_label
from core.registry.prompts import create_prompt
from core.registry.settings import update_prompt_settings
from core.registry.spec import parse_spec
from core.registry.versions import add_version
from core.tracking.ingest import ingest_records
from core.tracking.redaction import Redactor
from core.tracking.rollups import refresh_rollups

logger = logging.getLogger(__name__)
Progress = Callable[[str], None]


class DatabaseNotEmptyError(ConflictError):
    """seed-demo was asked to fill a database that already holds prompts or executions."""


@dataclass(frozen=True)
class PromptCounts:
    prompt: str
    registry: str  # "created", or "existing" (left as it was: versions deduplicated, labels not moved)
    versions: int
    label_moves: int
    executions: int
    outcomes: int
    corrections: int
    failures: int
    ratings: int
    scores: int


@dataclass(frozen=True)
class SeedSummary:
    seed: int
    days: int
    scale: float
    start: date
    end: date  # exclusive: traffic covers [start, end) in UTC
    run_tag: str  # in every record id: the same parameters replay the same ids
    prompts: tuple[PromptCounts, ...]
    stored_executions: int  # newly stored by ingestion (0 on a replay)
    stored_outcomes: int
    duplicates: int
    rollup_rows: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def executions(self) -> int:
        return sum(p.executions for p in self.prompts)

    @property
    def outcomes(self) -> int:
        return sum(p.outcomes for p in self.prompts)


def database_is_empty(session: Session) -> bool:
    """No prompts, executions or (pending) outcomes. Users and settings do not count."""
    return all(session.scalar(select(model.id).limit(1)) is None for model in (Prompt, Execution, Outcome))


def _refuse_unless_empty(session: Session) -> None:
    if database_is_empty(session):
        return
    prompts = session.scalar(select(func.count()).select_from(Prompt)) or 0
    executions = "some" if session.scalar(select(Execution.id).limit(1)) is not None else "no"
    raise DatabaseNotEmptyError(
        f"the database already holds data ({prompts} prompt(s), {executions} executions). seed-demo fills an "
        "empty database, so that the planted conditions of core/demo/PLANTED.md are the only problems in it and "
        "nothing of yours is mixed with demo traffic. Use an empty database (e.g. another PROMPTLOOP_DATABASE_URL), "
        "or pass --force to add the demo anyway: existing prompts of the same name keep their versions and labels, "
        "and records already seeded with the same --seed/--end/--days/--scale are skipped"
    )


def _register(session: Session, plan: PromptPlan, window: Window, actor: str) -> tuple[dict[str, str], str, int]:
    """Create the prompt, its versions (back-dated) and label history; returns (version numbers, state, moves).

    A prompt that already exists (``--force``) keeps its labels; its versions are matched by content,
    so traffic uses whatever numbers the registry holds for the demo's specs.
    """
    existing = session.scalar(select(Prompt.id).where(Prompt.name == plan.name)) is not None
    if not existing:
        create_prompt(session, name=plan.name, description=plan.description, actor=actor)
        update_prompt_settings(
            session, prompt_name=plan.name, changes={"segment_dimensions": list(plan.segment_dimensions)}, actor=actor
        )
    numbers: dict[str, str] = {}
    for v in plan.versions:
        spec = parse_spec(dict(v.spec), source=f"{plan.name} {v.version}")
        added = add_version(
            session,
            prompt_name=plan.name,
            content=spec.content(),
            actor=actor,
            bump=v.bump,
            notes=v.notes,
            created_at=window.at(v.created_day),
        )
        numbers[v.version] = added.version.version
    moves = 0
    if not existing:
        for move in sorted(plan.moves, key=lambda m: m.day):
            result = move_label(
                session,
                prompt_name=plan.name,
                label=move.label,
                version=numbers[move.version],
                actor=actor,
                reason=move.reason,
                moved_at=window.at(move.day),
            )
            moves += int(result.moved)
    return numbers, "existing" if existing else "created", moves


def _counts(traffic: PromptTraffic, registry: str, moves: int) -> PromptCounts:
    d = traffic.decisions
    return PromptCounts(
        prompt=traffic.plan.name,
        registry=registry,
        versions=len(traffic.versions),
        label_moves=moves,
        executions=traffic.executions,
        outcomes=traffic.executions + int(d.corrected.sum()) + int((d.rating > 0).sum()) + int(d.scored.sum()),
        corrections=int(d.corrected.sum()),
        failures=int(d.failed.sum()),
        ratings=int((d.rating > 0).sum()),
        scores=int(d.scored.sum()),
    )


def seed_demo(
    engine: Engine,
    *,
    days: int = 30,
    scale: float = 1.0,
    seed: int = 7,
    end: date | None = None,
    force: bool = False,
    actor: str = ACTOR,
    redactor: Redactor | None = None,
    progress: Progress | None = None,
) -> SeedSummary:
    """Seed the demo into ``engine``'s database; refuses a non-empty one unless ``force``.

    ``end`` (default: today, UTC) is exclusive: traffic covers the ``days`` whole days before it.
    """
    check_parameters(days=days, scale=scale, seed=seed)
    window = Window(end=end or datetime.now(UTC).date(), days=days)
    say = progress or (lambda message: logger.info("%s", message))
    clock = _Clock()
    with transaction(engine) as session:
        if not force:
            _refuse_unless_empty(session)
        say(f"registering {len(PROMPTS)} prompts with their versions and label history")
        registered = {plan.name: _register(session, plan, window, actor) for plan in PROMPTS}
        clock.lap("registry")
        say(f"generating {days} days of traffic at scale {scale} (seed {seed}, {window.start} to {window.end})")
        numbers = {name: entry[0] for name, entry in registered.items()}
        traffic = generate(seed=seed, days=days, scale=scale, end=window.end, versions=numbers)
        clock.lap("generate")
        stored = _ingest(session, traffic, redactor or Redactor(), say)
        clock.lap("ingest")
    say("refreshing rollups")
    rollups = refresh_rollups(engine)
    clock.lap("rollups")
    return SeedSummary(
        seed=seed,
        days=days,
        scale=scale,
        start=window.start,
        end=window.end,
        run_tag=run_tag(seed=seed, end=window.end, days=days, scale=scale),
        prompts=tuple(_counts(t, *registered[t.plan.name][1:]) for t in traffic),
        stored_executions=stored[0],
        stored_outcomes=stored[1],
        duplicates=stored[2],
        rollup_rows=rollups.rows_written,
        seconds=clock.laps,
    )


class _Clock:
    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.last, 2)
        self.laps["total"] = round(now - self.started, 2)
        self.last = now


def _ingest(session: Session, traffic: DemoTraffic, redactor: Redactor, say: Progress) -> tuple[int, int, int]:
    executions = outcomes = duplicates = 0
    for prompt in traffic:
        say(f"ingesting {prompt.plan.name}: {prompt.executions:,} executions")
        result = ingest_records(session, prompt.records(), redactor=redactor)
        if result.pending:
            logger.warning(
                "%s: %d outcomes left pending (their executions are missing)", prompt.plan.name, result.pending
            )
        executions += result.executions
        outcomes += result.outcomes
        duplicates += result.duplicates
    return executions, outcomes, duplicates
