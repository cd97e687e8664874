"""Prompts, versions and labels on a real Postgres: immutability, dedupe, history, rollback, audit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.exc import DBAPIError

from core.db.engine import transaction
from core.db.models.audit import AuditEvent
from core.db.models.registry import LabelMove, PromptSection, PromptVersion
from core.errors import ConflictError, NotFoundError, ValidationError
from core.registry.labels import (
    LabelHistoryEntry,
    current_labels,
    label_history,
    move_label,
    rollback_label,
    rollback_target,
)
from core.registry.prompts import create_prompt, get_prompt
from core.registry.spec import parse_spec
from core.registry.versions import add_version, list_versions
from tests.registry.factories import content, spec_dict, with_section_text

ACTOR = "alice@example.com"


@pytest.fixture
def prompt(engine: Engine) -> str:
    with transaction(engine) as s:
        create_prompt(s, name="thought_to_intent", description="voice intents", actor=ACTOR)
    return "thought_to_intent"


def _add(engine: Engine, prompt: str, c: object, **kw: object) -> tuple[str, bool, object]:
    with transaction(engine) as s:
        added = add_version(s, prompt_name=prompt, content=c, actor=ACTOR, **kw)  # type: ignore[arg-type]
        return added.version.version, added.created, added.bump


def test_prompt_names_are_validated_and_unique(engine: Engine) -> None:
    with transaction(engine) as s:
        create_prompt(s, name="lead_enrichment_en", actor=ACTOR)
    with pytest.raises(ConflictError, match="already exists"), transaction(engine) as s:
        create_prompt(s, name="lead_enrichment_en", actor=ACTOR)
    with pytest.raises(ValidationError, match="invalid prompt name"), transaction(engine) as s:
        create_prompt(s, name="Lead Enrichment", actor=ACTOR)
    with pytest.raises(NotFoundError, match="unknown prompt 'nope'"), transaction(engine) as s:
        get_prompt(s, name="nope")


def test_versions_number_themselves_and_dedupe_by_content(engine: Engine, prompt: str) -> None:
    assert _add(engine, prompt, content()) == ("1.0.0", True, None)
    assert _add(engine, prompt, content()) == ("1.0.0", False, None)
    assert _add(engine, prompt, with_section_text("task_context", "Formal.")) == ("1.0.1", True, "patch")
    assert _add(engine, prompt, content(token_budget=900)) == ("1.1.0", True, "minor")
    assert _add(engine, prompt, content(token_budget=901), bump="major") == ("2.0.0", True, "major")
    # a patch on an old parent still gets a fresh number above the highest one
    version, created, bump = _add(engine, prompt, with_section_text("task_context", "Terse."), parent="1.0.0")
    assert (version, created, bump) == ("2.0.1", True, "patch")
    with transaction(engine) as s:
        rows = list_versions(s, prompt=get_prompt(s, name=prompt))
        assert [r.version for r in rows] == ["1.0.0", "1.0.1", "1.1.0", "2.0.0", "2.0.1"]
        by_version = {r.version: r for r in rows}
        assert by_version["2.0.1"].parent_id == by_version["1.0.0"].id
        assert len({r.content_hash for r in rows}) == 5
        kinds = dict(s.execute(select(PromptSection.section_key, PromptSection.kind)).all())
        assert kinds["safety_guardrails"] == "guardrail"
        assert kinds["memory_recall_snippets"] == "optional"


def test_the_database_refuses_to_change_a_version(engine: Engine, prompt: str) -> None:
    _add(engine, prompt, content())
    with pytest.raises(DBAPIError, match="immutable"), transaction(engine) as s:
        s.execute(update(PromptVersion).values(notes="sneaky"))
    with pytest.raises(DBAPIError, match="immutable"), transaction(engine) as s:
        s.execute(text("UPDATE prompt_versions SET content = '{}'::jsonb"))
    with pytest.raises(DBAPIError, match="immutable"), transaction(engine) as s:
        s.execute(text("DELETE FROM prompt_versions"))
    with transaction(engine) as s:
        assert s.scalar(select(PromptVersion.notes)) == ""


def test_label_history_and_rollback(engine: Engine, prompt: str) -> None:
    _add(engine, prompt, content())
    _add(engine, prompt, with_section_text("task_context", "v2"))
    _add(engine, prompt, with_section_text("task_context", "v3"))
    with transaction(engine) as s:
        move_label(s, prompt_name=prompt, label="production", version="1.0.0", actor=ACTOR, reason="launch")
    with transaction(engine) as s:
        move_label(s, prompt_name=prompt, label="production", version="1.0.1", actor="bob@x.io", reason="fix")
    with transaction(engine) as s:
        noop = move_label(s, prompt_name=prompt, label="production", version="1.0.1", actor=ACTOR, reason="again")
        assert not noop.moved
    with transaction(engine) as s:
        move_label(s, prompt_name=prompt, label="production", version="1.0.2", actor=ACTOR, reason="better")
        move_label(s, prompt_name=prompt, label="staging", version="1.0.2", actor=ACTOR, reason="try")
    with transaction(engine) as s:
        back = rollback_label(s, prompt_name=prompt, label="production", actor="carol@x.io", reason="regressed")
        assert (back.from_version, back.to_version) == ("1.0.2", "1.0.1")
    with transaction(engine) as s:
        # any earlier state can be restored explicitly
        rollback_label(s, prompt_name=prompt, label="production", to="1.0.0", actor=ACTOR, reason="known good")
    with transaction(engine) as s:
        p = get_prompt(s, name=prompt)
        assert current_labels(s, prompt=p) == {"production": "1.0.0", "staging": "1.0.2"}
        history = label_history(s, prompt=p, label="production")
        assert [(h.from_version, h.to_version, h.kind, h.actor) for h in history] == [
            (None, "1.0.0", "set", ACTOR),
            ("1.0.0", "1.0.1", "set", "bob@x.io"),
            ("1.0.1", "1.0.2", "set", ACTOR),
            ("1.0.2", "1.0.1", "rollback", "carol@x.io"),
            ("1.0.1", "1.0.0", "rollback", ACTOR),
        ]
        assert history[3].reason == "regressed"
        assert len(label_history(s, prompt=p)) == 6


def test_rolling_back_twice_goes_two_steps_back_never_forward(engine: Engine, prompt: str) -> None:
    for text_ in ("v2", "v3"):
        _add(engine, prompt, with_section_text("task_context", text_))
    _add(engine, prompt, content())
    for version in ("1.0.0", "1.0.1", "1.0.2"):
        with transaction(engine) as s:
            move_label(s, prompt_name=prompt, label="production", version=version, actor=ACTOR, reason="ship")
    steps = []
    for _ in range(2):
        with transaction(engine) as s:
            back = rollback_label(s, prompt_name=prompt, label="production", actor=ACTOR, reason="regressed")
            steps.append((back.from_version, back.to_version))
    assert steps == [("1.0.2", "1.0.1"), ("1.0.1", "1.0.0")]
    with pytest.raises(ValidationError, match="no earlier version"), transaction(engine) as s:
        rollback_label(s, prompt_name=prompt, label="production", actor=ACTOR, reason="again")


def _move(kind: str, from_version: str | None, to_version: str) -> LabelHistoryEntry:
    return LabelHistoryEntry(0, "production", from_version, to_version, kind, ACTOR, "r", datetime.now(UTC), None)


@pytest.mark.parametrize(
    ("moves", "expected"),
    [
        ([], None),
        ([("set", None, "1")], None),
        ([("set", None, "1"), ("set", "1", "2")], "1"),
        ([("set", None, "1"), ("set", "1", "2"), ("set", "2", "3"), ("rollback", "3", "2")], "1"),
        ([("set", None, "1"), ("set", "1", "2"), ("set", "2", "3"), ("rollback", "3", "1")], None),
        ([("set", None, "1"), ("set", "1", "2"), ("rollback", "2", "1"), ("set", "1", "3")], "1"),
        ([("set", None, "1"), ("set", "1", "2"), ("set", "2", "3"), ("rollback", "3", "2"), ("set", "2", "4")], "2"),
    ],
)
def test_rollback_target_reads_the_moves_as_a_stack(
    moves: list[tuple[str, str | None, str]], expected: str | None
) -> None:
    assert rollback_target([_move(*m) for m in moves]) == expected


def test_rollback_errors(engine: Engine, prompt: str) -> None:
    _add(engine, prompt, content())
    with transaction(engine) as s:
        move_label(s, prompt_name=prompt, label="production", version="1.0.0", actor=ACTOR, reason="launch")
    with pytest.raises(ValidationError, match="no earlier version"), transaction(engine) as s:
        rollback_label(s, prompt_name=prompt, label="production", actor=ACTOR, reason="x")
    with pytest.raises(NotFoundError, match="no label 'canary'"), transaction(engine) as s:
        rollback_label(s, prompt_name=prompt, label="canary", actor=ACTOR, reason="x")
    with pytest.raises(NotFoundError, match=r"no version '9\.9\.9'"), transaction(engine) as s:
        rollback_label(s, prompt_name=prompt, label="production", to="9.9.9", actor=ACTOR, reason="x")
    with pytest.raises(ValidationError, match="reason is required"), transaction(engine) as s:
        move_label(s, prompt_name=prompt, label="production", version="1.0.0", actor=ACTOR, reason="  ")


def test_label_history_is_append_only(engine: Engine, prompt: str) -> None:
    _add(engine, prompt, content())
    with transaction(engine) as s:
        move_label(s, prompt_name=prompt, label="production", version="1.0.0", actor=ACTOR, reason="launch")
    for statement in ("UPDATE label_moves SET reason = 'rewritten'", "DELETE FROM label_moves"):
        with pytest.raises(DBAPIError, match="immutable"), transaction(engine) as s:
            s.execute(text(statement))
    with transaction(engine) as s:
        assert s.scalar(select(LabelMove.reason)) == "launch"


def test_every_write_leaves_an_audit_event_in_the_same_transaction(engine: Engine) -> None:
    with transaction(engine) as s:
        create_prompt(s, name="planning", actor=ACTOR)
        add_version(s, prompt_name="planning", content=content(), actor=ACTOR)
        add_version(s, prompt_name="planning", content=content(), actor=ACTOR)  # duplicate: no write, no event
        move_label(s, prompt_name="planning", label="production", version="1.0.0", actor=ACTOR, reason="go")
    with transaction(engine) as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor) for e in events] == [
            ("prompt.created", ACTOR),
            ("version.created", ACTOR),
            ("label.moved", ACTOR),
        ]
        assert events[1].after is not None and events[1].after["version"] == "1.0.0"
        assert events[2].before == {"version": None}

    # a failed transaction leaves neither the write nor its audit event
    def failing_write() -> None:
        with transaction(engine) as s:
            create_prompt(s, name="dimension_extraction", actor=ACTOR)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_write()
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 3


def test_audit_log_is_append_only(engine: Engine) -> None:
    with transaction(engine) as s:
        create_prompt(s, name="planning", actor=ACTOR)
    for statement in ("UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="immutable"), transaction(engine) as s:
            s.execute(text(statement))


def test_history_can_be_back_dated_for_imports(engine: Engine, prompt: str) -> None:
    then = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    with transaction(engine) as s:
        added = add_version(s, prompt_name=prompt, content=content(), actor=ACTOR, created_at=then)
        move_label(
            s, prompt_name=prompt, label="production", version="1.0.0", actor=ACTOR, reason="import", moved_at=then
        )
        assert added.version.created_at == then
    with transaction(engine) as s:
        (entry,) = label_history(s, prompt=get_prompt(s, name=prompt))
        assert entry.moved_at == then


def test_concurrent_writers_of_one_prompt_get_distinct_versions(engine: Engine, prompt: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    _add(engine, prompt, content())

    def write(i: int) -> str:
        return _add(engine, prompt, with_section_text("task_context", f"variant {i}"))[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        versions = list(pool.map(write, range(8)))
    assert sorted(versions) == [f"1.0.{i}" for i in range(1, 9)]


def test_policy_lives_in_the_content(engine: Engine, prompt: str) -> None:
    data = spec_dict(
        policy={
            "required": ["identity_role", "task_context", "safety_guardrails"],
            "optional": ["memory_recall_snippets"],
            "banned": ["chit_chat"],
        }
    )
    version, _, _ = _add(engine, prompt, parse_spec(data).content())
    with transaction(engine) as s:
        row = s.scalar(select(PromptVersion).where(PromptVersion.version == version))
        assert row is not None
        assert row.content["policy"]["banned"] == ["chit_chat"]
        assert row.section_ids == ["identity_role", "task_context", "safety_guardrails", "memory_recall_snippets"]


def test_prompt_settings_merge_nested_objects_and_reject_bad_values(engine: Engine, prompt: str) -> None:
    from core.registry.settings import prompt_settings, update_prompt_settings

    with transaction(engine) as s:
        update_prompt_settings(s, prompt_name=prompt, changes={"segment_dimensions": ["expertise"]}, actor=ACTOR)
        before = prompt_settings(get_prompt(s, name=prompt).settings).insights
        update_prompt_settings(s, prompt_name=prompt, changes={"insights": {"accuracy_threshold": 0.65}}, actor=ACTOR)
    with transaction(engine) as s:
        after = prompt_settings(get_prompt(s, name=prompt).settings)
    assert after.segment_dimensions == ["expertise"]
    assert after.insights.accuracy_threshold == 0.65
    # every other threshold kept its value
    unchanged = {"accuracy_threshold"}
    assert after.insights.model_dump(exclude=unchanged) == before.model_dump(exclude=unchanged)
    with pytest.raises(ValidationError, match="segment_dimensions"), transaction(engine) as s:
        update_prompt_settings(s, prompt_name=prompt, changes={"segment_dimensions": ["a b"]}, actor=ACTOR)


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE prompt_versions CASCADE",
        "TRUNCATE prompts CASCADE",
        "TRUNCATE label_moves",
        "TRUNCATE audit_events",
        "TRUNCATE change_requests CASCADE",
        "TRUNCATE change_request_comments",
        "TRUNCATE notification_events CASCADE",
    ],
)
def test_the_database_refuses_to_truncate_history(engine: Engine, prompt: str, statement: str) -> None:
    _add(engine, prompt, content())
    with transaction(engine) as s:
        move_label(s, prompt_name=prompt, label="production", version="1.0.0", actor=ACTOR, reason="launch")
    with pytest.raises(DBAPIError, match="immutable: TRUNCATE refused"), transaction(engine) as s:
        s.execute(text(statement))
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(PromptVersion)) == 1
        assert s.scalar(text("SELECT count(*) FROM label_moves")) == 1
