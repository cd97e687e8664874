"""Seeding a real database: registry state with back-dated history, stored records, rollups, refusal, replay."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from core.db.engine import transaction
from core.db.models.registry import LabelMove, Prompt, PromptVersion
from core.db.models.tracking import Execution, Outcome, RollupHourly
from core.demo import DatabaseNotEmptyError, database_is_empty, generate, seed_demo
from core.demo.scenario import PROMPTS, REGRESSION_DAY
from core.registry.labels import current_labels, label_history
from core.registry.prompts import create_prompt
from core.registry.settings import prompt_settings
from tests.demo.frames import executions_frame

END = date(2026, 3, 2)
SMALL = {"days": 30, "scale": 0.05, "seed": 7, "end": END}


def test_seeded_database_holds_the_documented_state(engine: Engine) -> None:
    with transaction(engine) as session:
        assert database_is_empty(session)
    summary = seed_demo(engine, **SMALL)  # type: ignore[arg-type]
    records = generate(seed=7, days=30, scale=0.05, end=END).records()
    frame = executions_frame(records)
    end_at = datetime(END.year, END.month, END.day, tzinfo=UTC)

    with transaction(engine) as session:
        assert not database_is_empty(session)
        prompts = {p.name: p for p in session.scalars(select(Prompt))}
        assert set(prompts) == {plan.name for plan in PROMPTS}
        for plan in PROMPTS:
            prompt = prompts[plan.name]
            assert prompt_settings(prompt.settings).segment_dimensions == list(plan.segment_dimensions)
            versions = session.scalars(
                select(PromptVersion).where(PromptVersion.prompt_id == prompt.id).order_by(PromptVersion.id)
            ).all()
            assert [v.version for v in versions] == [v.version for v in plan.versions]
            for row, v in zip(versions, plan.versions, strict=True):
                assert row.created_at == end_at + timedelta(days=v.created_day)
            history = label_history(session, prompt=prompt)
            assert [(h.label, h.to_version) for h in history] == [
                (m.label, m.version) for m in sorted(plan.moves, key=lambda m: m.day)
            ]
            assert [h.moved_at for h in history] == sorted(end_at + timedelta(days=m.day) for m in plan.moves)
        labels = current_labels(session, prompt=prompts["dimension_extraction"])
        assert labels == {"production": "2.1.0", "staging": "2.1.0"}
        regression_move = session.scalar(
            select(LabelMove.moved_at).where(LabelMove.prompt_id == prompts["dimension_extraction"].id,
                                             LabelMove.label == "production").order_by(LabelMove.id.desc()).limit(1)
        )  # fmt: skip
        assert regression_move == end_at + timedelta(days=REGRESSION_DAY)

        stored = dict(session.execute(
            select(Prompt.name, func.count(Execution.id)).join(Execution, Execution.prompt_id == Prompt.id)
            .group_by(Prompt.name)
        ).all())  # fmt: skip
        assert stored == dict(Counter(frame.prompt)) == {p.prompt: p.executions for p in summary.prompts}
        kinds = dict(session.execute(select(Outcome.kind, func.count()).group_by(Outcome.kind)).all())
        assert kinds == dict(Counter(str(r["kind"]) for r in records if r["type"] == "outcome"))
        assert session.scalar(select(func.count()).where(Outcome.execution_pk.is_(None))) == 0  # none pending
        # Ingestion's effective accuracy is the one the planted sizes were measured with.
        accuracy = dict(session.execute(
            select(Prompt.name, func.avg(Execution.accuracy)).join(Execution, Execution.prompt_id == Prompt.id)
            .group_by(Prompt.name)
        ).all())  # fmt: skip
        for name, mean in frame.groupby("prompt").accuracy.mean().items():
            assert accuracy[name] == pytest.approx(mean, abs=1e-9)
        rolled = session.scalar(select(func.sum(RollupHourly.executions)))
        assert rolled == len(frame) == summary.executions == summary.stored_executions
    assert summary.stored_outcomes == summary.outcomes == len(records) - len(frame)


def test_refuses_a_non_empty_database_and_force_replays_idempotently(engine: Engine) -> None:
    small = {"days": 21, "scale": 0.02, "seed": 7, "end": END}
    first = seed_demo(engine, **small)  # type: ignore[arg-type]
    with pytest.raises(DatabaseNotEmptyError, match="--force"):
        seed_demo(engine, **small)  # type: ignore[arg-type]
    with transaction(engine) as session:
        moves = session.scalar(select(func.count()).select_from(LabelMove))
    again = seed_demo(engine, force=True, **small)  # type: ignore[arg-type]
    assert (again.stored_executions, again.stored_outcomes) == (0, 0)
    assert again.duplicates == first.executions + first.outcomes
    assert all(p.registry == "existing" and p.label_moves == 0 for p in again.prompts)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(LabelMove)) == moves
        assert session.scalar(select(func.count()).select_from(Execution)) == first.executions


def test_any_prompt_makes_the_database_non_empty(engine: Engine) -> None:
    with transaction(engine) as session:
        create_prompt(session, name="mine", actor="someone@example.com")
    with pytest.raises(DatabaseNotEmptyError, match=r"1 prompt\(s\)"):
        seed_demo(engine, days=21, scale=0.02, end=END)
