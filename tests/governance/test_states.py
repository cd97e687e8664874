"""The state machine holds in code and in the database (trigger + constraints), whatever the caller."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from core.db.engine import transaction
from core.governance.changes import propose_promotion
from core.governance.decisions import reject
from core.governance.errors import IllegalTransitionError
from core.governance.roles import Principal
from core.governance.states import FINAL, TRANSITIONS, can_transition, check_transition
from tests.governance.helpers import OP1, OP2, PROMPT, RULES

STATUSES = list(TRANSITIONS)
LEGAL = {
    ("pending", "approved"),
    ("pending", "rejected"),
    ("pending", "superseded"),
    ("approved", "applied"),
    ("approved", "failed"),
    ("approved", "stale"),
    ("approved", "superseded"),
}


@pytest.mark.parametrize(("current", "new"), list(itertools.product(STATUSES, STATUSES)))
def test_only_the_edges_of_the_machine_are_legal_in_code(current: str, new: str) -> None:
    assert can_transition(current, new) == ((current, new) in LEGAL)
    if (current, new) in LEGAL:
        check_transition(1, current, new)
    else:
        with pytest.raises(IllegalTransitionError, match="#1 is"):
            check_transition(1, current, new)


def test_final_states() -> None:
    assert frozenset({"rejected", "applied", "failed", "stale", "superseded"}) == FINAL


def _request(engine: Engine, people: dict[str, Principal], version: str) -> int:
    with transaction(engine) as s:
        return propose_promotion(
            s, actor=people[OP1], rules=RULES, prompt_name=PROMPT, label="production", version=version, reason="r"
        ).request.id


def _sql(engine: Engine, statement: str, **params: object) -> None:
    with transaction(engine) as s:
        s.execute(text(statement), params)


def test_the_database_refuses_illegal_transitions(engine: Engine, people: dict, versions: dict) -> None:
    rid = _request(engine, people, versions["v2"])
    with pytest.raises(DBAPIError, match="pending -> applied is not a legal transition"):
        _sql(
            engine,
            "UPDATE change_requests SET status = 'applied', applied_at = now(), decided_by = 'x', "
            "decided_at = now() WHERE id = :id",
            id=rid,
        )
    with pytest.raises(DBAPIError, match=r"proposal of change request \d+ is immutable"):
        _sql(engine, "UPDATE change_requests SET target_version_id = base_version_id WHERE id = :id", id=rid)
    with pytest.raises(DBAPIError, match="cannot be deleted"):
        _sql(engine, "DELETE FROM change_requests WHERE id = :id", id=rid)
    with pytest.raises(IntegrityError, match="decision_recorded"):  # approved without a decider
        _sql(engine, "UPDATE change_requests SET status = 'approved' WHERE id = :id", id=rid)
    with pytest.raises(IntegrityError, match="uq_change_requests_open_per_label"):  # two open requests per label
        _sql(
            engine,
            "INSERT INTO change_requests (kind, prompt_id, label, target_version_id, reason, requested_by, "
            "requester_kind) SELECT kind, prompt_id, label, target_version_id, 'dup', 'x@y', 'user' "
            "FROM change_requests WHERE id = :id",
            id=rid,
        )
    with transaction(engine) as s:
        reject(s, actor=people[OP2], request_id=rid, comment="no")
    with pytest.raises(DBAPIError, match="is rejected, a final state"):
        _sql(engine, "UPDATE change_requests SET status_detail = 'rewritten' WHERE id = :id", id=rid)
    with pytest.raises(DBAPIError, match="immutable"):
        _sql(engine, "UPDATE change_request_comments SET body = 'edited'")
