"""The bulk path: per chunk, binary COPY straight into the tables, or into staging tables and a merge;
pipelined with validation.

A :class:`BulkWriter` owns the session's psycopg connection from a worker thread. The caller
validates chunk k+1 (Python, holding the GIL) while the worker streams chunk k to the server and
waits for its statements (psycopg releases the GIL while it waits), so on two cores validation and
the server's work overlap. Everything still runs in the caller's transaction: nothing commits per chunk.

A chunk first takes the direct path (``core.tracking.direct``) inside a savepoint. If one of its ids
is stored already (a replay: the COPY fails on a unique index), the savepoint is rolled back and
the chunk — and every later chunk of the call, replays rarely come alone — is merged instead.

Merge of one chunk (``core.tracking.store`` explains the order and the writer lock):

1. staged outcomes that are already stored are dropped (replays; the stored row wins);
2. new executions are inserted with their outcome summary computed from the chunk's outcomes and
   older pending ones, so each execution row is written once;
3. new outcomes are inserted, attached to their execution when it is known;
4. pending outcomes whose execution arrived in this chunk are attached;
5. executions that gained an outcome get their summary recomputed (unchanged ones are not written).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from typing import Any

from psycopg import Connection
from psycopg.errors import UniqueViolation
from sqlalchemy.orm import Session

from core.tracking.direct import write_direct
from core.tracking.pending import Pending
from core.tracking.precedence import SUMMARY_FIELDS, summary_columns
from core.tracking.rows import ExecValues, OutcomeValues
from core.tracking.store import EXEC_COLUMNS, INGEST_LOCK_ID, OUTCOME_COLUMNS, RECOMPUTE_SUMMARIES, XID, WriteCounts

logger = logging.getLogger(__name__)

_STAGE_EXEC = "pl_stage_executions"
_STAGE_OUT = "pl_stage_outcomes"
_EXEC_TYPES = [
    "text", "int8", "int8", "text", "text", "text", "text", "text",
    "int4", "int4", "float8", "text", "text", "text", "text", "timestamptz",
]  # fmt: skip
_OUT_TYPES = ["text", "text", "text", "float8", "bool", "text", "text", "text", "float8", "int2", "timestamptz"]
_CREATE_STAGES = (
    f"CREATE TEMP TABLE {_STAGE_EXEC} (client_id text, prompt_id int8, version_id int8, label text, "
    "experiment text, arm text, sections text, section_set_hash text, prompt_tokens int4, completion_tokens int4, "
    "latency_ms float8, model text, unit_id text, session_id text, segment text, occurred_at timestamptz) "
    "ON COMMIT DROP",
    f"CREATE TEMP TABLE {_STAGE_OUT} (client_id text, execution_client_id text, kind text, accuracy float8, "
    "accuracy_given bool, error text, original text, corrected text, score float8, rating int2, "
    "occurred_at timestamptz) ON COMMIT DROP",
)
# Lookups in these statements are correlated subqueries on purpose: one unique-index probe per staged
# row. As joins, the planner (which knows nothing of the staging tables) tends to hash the whole
# outcomes or executions table once per chunk, which grows with the table.
_DROP_REPLAYED = f"DELETE FROM {_STAGE_OUT} s WHERE (SELECT true FROM outcomes o WHERE o.client_id = s.client_id)"
_INSERT_EXECUTIONS = (
    f"WITH evidence AS ("
    f"  SELECT execution_client_id, client_id, kind, accuracy, rating, occurred_at FROM {_STAGE_OUT}"
    f"  UNION ALL"
    f"  SELECT o.execution_client_id, o.client_id, o.kind, o.accuracy, o.rating, o.occurred_at"
    f"  FROM outcomes o WHERE o.execution_pk IS NULL"
    f"  AND o.execution_client_id IN (SELECT client_id FROM {_STAGE_EXEC})"
    f"), summary AS ("
    f"  SELECT ev.execution_client_id, {summary_columns('ev')} FROM evidence ev GROUP BY ev.execution_client_id"
    f") INSERT INTO executions ({EXEC_COLUMNS}, {', '.join(SUMMARY_FIELDS)}, change_xid)"
    f"  SELECT s.client_id, s.prompt_id, s.version_id, s.label, s.experiment, s.arm,"
    f"  string_to_array(s.sections, chr(31)), s.section_set_hash, s.prompt_tokens, s.completion_tokens,"
    f"  s.latency_ms, s.model, s.unit_id, s.session_id, s.segment::jsonb, s.occurred_at, sm.accuracy,"
    f"  sm.accuracy_kind, coalesce(sm.corrected, false), coalesce(sm.failed, false), sm.rating, %(xid)s"
    f"  FROM {_STAGE_EXEC} s LEFT JOIN summary sm ON sm.execution_client_id = s.client_id"
    f"  ON CONFLICT (client_id) DO NOTHING"
)
_INSERT_OUTCOMES = (
    f"INSERT INTO outcomes ({OUTCOME_COLUMNS}, execution_pk)"
    f" SELECT s.client_id, s.execution_client_id, s.kind, s.accuracy, s.accuracy_given, s.error, s.original,"
    f" s.corrected, s.score, s.rating, s.occurred_at,"
    f" (SELECT e.id FROM executions e WHERE e.client_id = s.execution_client_id)"
    f" FROM {_STAGE_OUT} s ON CONFLICT (client_id) DO NOTHING RETURNING client_id, execution_client_id, execution_pk"
)
_ATTACH_PENDING = (
    f"UPDATE outcomes o SET execution_pk = e.id FROM {_STAGE_EXEC} s JOIN executions e ON e.client_id = s.client_id "
    "WHERE o.execution_pk IS NULL AND o.execution_client_id = s.client_id RETURNING o.client_id, o.execution_client_id"
)
_SAVEPOINT = "promptloop_chunk"
_DONE = None  # queue sentinel


class _Merger:
    """Writes chunks on one connection: directly while that works, else through staging tables."""

    def __init__(self, conn: Connection[Any]) -> None:
        self._conn = conn
        self._xid: int | None = None
        self._pending: Pending | None = None
        self._direct = True
        self._staging = False  # the staging tables exist
        self.counts = WriteCounts()

    def write(self, executions: Sequence[ExecValues], outcomes: Sequence[OutcomeValues]) -> None:
        conn = self._conn
        if self._xid is None:  # lock from the first write to commit: see core.tracking.store
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (INGEST_LOCK_ID,))
            # The column default, evaluated once instead of per row.
            self._xid = conn.execute(f"SELECT {XID}").fetchone()[0]  # type: ignore[index]
            self._pending = Pending(conn)
        assert self._pending is not None
        if self._direct and self._write_direct(executions, outcomes, self._pending):
            return
        self._merge(executions, outcomes, self._pending)

    def _write_direct(
        self, executions: Sequence[ExecValues], outcomes: Sequence[OutcomeValues], pending: Pending
    ) -> bool:
        conn = self._conn
        conn.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            result = write_direct(conn, executions, outcomes, xid=self._xid or 0, pending=pending)
        except UniqueViolation:
            conn.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            conn.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            self._direct = False
            logger.info("ids of this batch are stored already: merging the rest through staging tables")
            return False
        conn.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        self.counts.executions += result.executions
        self.counts.outcomes += result.outcomes
        pending.stored(result.pending)
        pending.attached_now(result.attached)
        return True

    def _merge(self, executions: Sequence[ExecValues], outcomes: Sequence[OutcomeValues], pending: Pending) -> None:
        self._stage(executions, outcomes)
        conn = self._conn
        if outcomes:
            conn.execute(_DROP_REPLAYED)
        if executions:
            self.counts.executions += conn.execute(_INSERT_EXECUTIONS, {"xid": self._xid}).rowcount
        touched = self._insert_outcomes(pending) if outcomes else set()
        if executions:
            pending.attached_now(conn.execute(_ATTACH_PENDING).fetchall())
        if touched:  # includes executions of this chunk, whose summary is already right (not rewritten)
            conn.execute(RECOMPUTE_SUMMARIES, {"pks": sorted(touched)})

    def _stage(self, executions: Sequence[ExecValues], outcomes: Sequence[OutcomeValues]) -> None:
        conn = self._conn
        if not self._staging:
            for statement in _CREATE_STAGES:
                conn.execute(statement)
            self._staging = True
        conn.execute(f"TRUNCATE {_STAGE_EXEC}, {_STAGE_OUT}")
        for table, types, rows in ((_STAGE_EXEC, _EXEC_TYPES, executions), (_STAGE_OUT, _OUT_TYPES, outcomes)):
            if rows:
                with conn.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(types)
                    write = copy.write_row
                    for row in rows:
                        write(row)

    def _insert_outcomes(self, pending: Pending) -> set[int]:
        """Insert the staged outcomes; the executions that gained one."""
        touched: set[int] = set()
        stored_pending = []
        for outcome_id, execution_id, execution_pk in self._conn.execute(_INSERT_OUTCOMES).fetchall():
            self.counts.outcomes += 1
            if execution_pk is None:
                stored_pending.append((outcome_id, execution_id))
            else:
                touched.add(execution_pk)
        pending.stored(stored_pending)
        return touched

    def finish(self) -> WriteCounts:
        self.counts.pending = len(self._pending.ours) if self._pending is not None else 0
        self.counts.attached = self._pending.attached if self._pending is not None else 0
        if self._staging:
            self._conn.execute(f"DROP TABLE IF EXISTS {_STAGE_EXEC}, {_STAGE_OUT}")
        return self.counts


class BulkWriter:
    """Runs a :class:`_Merger` on the session's connection in a worker thread, one chunk behind.

    While it runs, the caller must not use the session. :meth:`submit` hands over a chunk (blocking
    while the worker is still busy with the previous one) and re-raises a worker error;
    :meth:`finish` waits for the last merge; :meth:`abort` stops the worker without raising.
    """

    def __init__(self, session: Session) -> None:
        driver = session.connection().connection.driver_connection
        assert isinstance(driver, Connection)
        self._merger = _Merger(driver)
        self._queue: queue.Queue[tuple[Sequence[ExecValues], Sequence[OutcomeValues]] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="promptloop-ingest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _DONE:
            if self._error is not None:
                continue  # drain: the caller learns of the error on its next submit or finish
            try:
                self._merger.write(*item)
            except BaseException as exc:  # re-raised in the caller's thread
                self._error = exc

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, executions: Sequence[ExecValues], outcomes: Sequence[OutcomeValues]) -> None:
        self._raise()
        self._queue.put((executions, outcomes))

    def finish(self) -> WriteCounts:
        self._queue.put(_DONE)
        self._thread.join()
        self._raise()
        return self._merger.finish()

    def abort(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()
