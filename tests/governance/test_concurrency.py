"""Operators approving the same request at the same moment: the label moves exactly once.

The test holds the prompt's row lock while the approvers start, waits until every one of them is
blocked on it in Postgres, then lets go — so the approvals really do race, in threads and in
separate processes, and the audit trail must show one approval, one apply and one label move.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select, text

from core.db.engine import make_engine, transaction
from core.db.models.registry import LabelMove, Prompt
from core.errors import ConflictError
from core.governance.changes import propose_promotion
from core.governance.decisions import approve
from core.governance.roles import Principal
from core.registry.labels import current_labels
from core.registry.prompts import get_prompt
from tests.governance.helpers import ADMIN, OP1, OP2, OP3, PROMPT, RULES, audit_actions

APPROVERS = (OP2, OP3, ADMIN)


def _approve_once(url: str, email: str, role: str, request_id: int) -> str:
    """One approver in its own connection: 'approved', or the conflict message it got."""
    engine = make_engine(url)
    try:
        with transaction(engine) as s:
            approve(s, actor=Principal(email=email, role=role), rules=RULES, request_id=request_id)  # type: ignore[arg-type]
        return "approved"
    except ConflictError as exc:
        return f"conflict: {exc}"
    finally:
        engine.dispose()


def _process_main(
    url: str, email: str, role: str, request_id: int, results: multiprocessing.Queue[tuple[str, str]]
) -> None:
    results.put((email, _approve_once(url, email, role, request_id)))


def _race(
    engine: Engine, people: dict[str, Principal], start_all: Callable[[int], Callable[[], list[str]]]
) -> tuple[int, list[str]]:
    with transaction(engine) as s:
        rid = propose_promotion(
            s, actor=people[OP1], rules=RULES, prompt_name=PROMPT, label="production", version="1.0.1", reason="r"
        ).request.id
    with engine.connect() as holder:
        holder.execute(select(Prompt.id).where(Prompt.name == PROMPT).with_for_update())
        collect = start_all(rid)
        _wait_until_blocked(holder, expected=len(APPROVERS))
        holder.commit()  # let them go at once
    return rid, collect()


def _wait_until_blocked(conn: object, *, expected: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    while time.monotonic() < deadline:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))  # type: ignore[attr-defined]  (stats are per-transaction snapshots)
        if conn.execute(query).scalar_one() >= expected:  # type: ignore[attr-defined]
            return
        time.sleep(0.05)
    pytest.fail(f"the {expected} approvers never all waited on the lock")


def _check_exactly_once(engine: Engine, rid: int, outcomes: list[str]) -> None:
    assert sorted(o.split(":")[0] for o in outcomes) == ["approved", "conflict", "conflict"], outcomes
    for outcome in outcomes:
        if outcome.startswith("conflict"):
            assert f"change request #{rid} is already applied by" in outcome
    with transaction(engine) as s:
        prompt = get_prompt(s, name=PROMPT)
        assert current_labels(s, prompt=prompt) == {"production": "1.0.1"}
        moves = s.scalar(select(func.count()).select_from(LabelMove).where(LabelMove.change_request_id == rid))
    assert moves == 1
    actions = audit_actions(engine, rid)
    assert [a for a, _ in actions] == ["change_request.opened", "change_request.approved", "change_request.applied"]
    assert actions[1][1] == actions[2][1]  # the approver who won also applied it


def test_concurrent_approvals_in_threads_apply_exactly_once(engine: Engine, people: dict, versions: dict) -> None:
    url = engine.url.render_as_string(hide_password=False)

    def start_all(rid: int) -> Callable[[], list[str]]:
        outcomes: list[str] = []
        threads = [
            threading.Thread(target=lambda e=email: outcomes.append(_approve_once(url, e, people[e].role, rid)))
            for email in APPROVERS
        ]
        for thread in threads:
            thread.start()

        def collect() -> list[str]:
            for thread in threads:
                thread.join(timeout=60)
            return outcomes

        return collect

    rid, outcomes = _race(engine, people, start_all)
    _check_exactly_once(engine, rid, outcomes)


def test_concurrent_approvals_in_processes_apply_exactly_once(engine: Engine, people: dict, versions: dict) -> None:
    url = engine.url.render_as_string(hide_password=False)
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[tuple[str, str]] = context.Queue()

    def start_all(rid: int) -> Callable[[], list[str]]:
        processes = [
            context.Process(target=_process_main, args=(url, email, people[email].role, rid, results))
            for email in APPROVERS
        ]
        for process in processes:
            process.start()

        def collect() -> list[str]:
            got = [results.get(timeout=60)[1] for _ in processes]
            for process in processes:
                process.join(timeout=30)
                assert process.exitcode == 0
            return got

        return collect

    rid, outcomes = _race(engine, people, start_all)
    _check_exactly_once(engine, rid, outcomes)
