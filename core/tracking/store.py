"""Writing validated rows: a multi-row INSERT for small batches (here), COPY + merge for large ones
(``core.tracking.bulk``).

Both paths run in the caller's transaction, are idempotent (``ON CONFLICT (client_id) DO NOTHING``)
and leave the same rows behind (tested). The order of work, per batch:

1. executions are inserted; 2. outcomes are inserted, attached to their execution when it is known;
3. pending outcomes whose execution arrived in this batch are attached; 4. the outcome summary
(effective accuracy, flags, rating; ``core.tracking.precedence``) of every execution that gained an
outcome is recomputed from *all* its outcomes, and ``change_xid`` is bumped only if it changed.

The bulk path computes the summary of new executions while inserting them (from the batch's and
older pending outcomes), so each execution row is written once instead of inserted then updated.

Writers of one database serialise from their first write to commit on an advisory lock: otherwise
an outcome and its execution committed at the same time by two transactions could each miss the
other and the outcome would stay pending. The small path validates before taking the lock; the
bulk path takes it when it merges its first chunk and holds it while it validates the rest (the
price of overlapping validation with merging: concurrent bulk writers queue for one another).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.db.models.tracking import Execution, Outcome
from core.tracking.keys import SEPARATOR
from core.tracking.precedence import SUMMARY_FIELDS, summary_columns
from core.tracking.rows import ExecRow, ExecValues, OutcomeRow, OutcomeValues

INGEST_LOCK_ID = 0x706C696E  # "plin"
_EXECUTIONS: Table = Execution.__table__  # type: ignore[assignment]
_OUTCOMES: Table = Outcome.__table__  # type: ignore[assignment]
XID = "(pg_current_xact_id()::text)::bigint"
_SUMMARY_DIFFERS = (
    f"({', '.join('e.' + f for f in SUMMARY_FIELDS)}) IS DISTINCT FROM ({', '.join('s.' + f for f in SUMMARY_FIELDS)})"
)
EXEC_COLUMNS = (
    "client_id, prompt_id, version_id, label, experiment, arm, section_ids, section_set_hash, prompt_tokens, "
    "completion_tokens, latency_ms, model, unit_id, session_id, segment, occurred_at"
)
OUTCOME_COLUMNS = (
    "client_id, execution_client_id, kind, accuracy, accuracy_given, error, original, corrected, score, rating, "
    "occurred_at"
)


@dataclass
class WriteCounts:
    executions: int = 0
    outcomes: int = 0
    attached: int = 0  # outcomes of earlier batches attached to an execution of this one
    pending: int = 0  # outcomes of this batch whose execution is still unknown

    def add(self, other: WriteCounts) -> None:
        self.executions += other.executions
        self.outcomes += other.outcomes
        self.attached += other.attached
        self.pending += other.pending


def lock_writers(session: Session) -> None:
    session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": INGEST_LOCK_ID})


# Recompute the outcome summary of the executions whose ids the array parameter ``pks`` holds;
# ``change_xid`` is bumped only where the summary changed.
RECOMPUTE_SUMMARIES = (
    f"UPDATE executions e SET accuracy = s.accuracy, accuracy_kind = s.accuracy_kind, "
    f"corrected = s.corrected, failed = s.failed, rating = s.rating, change_xid = {XID} "
    f"FROM (SELECT o.execution_pk, {summary_columns('o')} FROM outcomes o "
    f"WHERE o.execution_pk = ANY(%(pks)s) GROUP BY o.execution_pk) s "
    f"WHERE e.id = s.execution_pk AND {_SUMMARY_DIFFERS}"
)


# -- small batches: multi-row INSERT -------------------------------------------------------------


def _exec_params(row: ExecValues) -> dict[str, Any]:
    values = ExecRow._make(row)._asdict()
    sections = values.pop("sections")
    values["section_ids"] = sections.split(SEPARATOR) if sections else []
    values["segment"] = json.loads(values["segment"])
    return values


def write_small(session: Session, executions: Sequence[ExecValues], outcomes: Sequence[OutcomeValues]) -> WriteCounts:
    counts = WriteCounts()
    lock_writers(session)
    if executions:
        statement = insert(_EXECUTIONS).on_conflict_do_nothing(index_elements=["client_id"]).returning(_EXECUTIONS.c.id)
        counts.executions = len(session.execute(statement, [_exec_params(row) for row in executions]).all())
    new_outcomes: set[str] = set()
    if outcomes:
        statement = (
            insert(_OUTCOMES).on_conflict_do_nothing(index_elements=["client_id"]).returning(_OUTCOMES.c.client_id)
        )
        new_outcomes = set(session.execute(statement, [OutcomeRow._make(row)._asdict() for row in outcomes]).scalars())
        counts.outcomes = len(new_outcomes)
    keys = sorted({row[0] for row in executions} | {row[1] for row in outcomes})  # client ids, execution ids
    attached = session.execute(
        text(
            "UPDATE outcomes o SET execution_pk = e.id FROM executions e "
            "WHERE o.execution_pk IS NULL AND o.execution_client_id = ANY(:keys) "
            "AND e.client_id = o.execution_client_id RETURNING o.execution_pk, o.client_id"
        ),
        {"keys": keys},
    ).all()
    counts.attached = sum(1 for _, client_id in attached if client_id not in new_outcomes)
    counts.pending = len(new_outcomes) - (len(attached) - counts.attached)
    # New outcomes were inserted unattached, so ``attached`` holds every execution that gained one.
    touched = sorted({pk for pk, _ in attached})
    if touched:
        session.execute(text(RECOMPUTE_SUMMARIES.replace("%(pks)s", "CAST(:pks AS bigint[])")), {"pks": touched})
    return counts
