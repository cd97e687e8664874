"""The bulk path's first choice for a chunk: binary COPY straight into ``executions`` and ``outcomes``.

In the normal bulk case every id of a chunk is new, and staging tables plus ``INSERT ... SELECT ...
ON CONFLICT`` only double the server's work (each row written twice, the conflict check, the
merge's joins). Here, inside a savepoint (:class:`core.tracking.bulk.BulkWriter` rolls back to it
and merges the chunk through staging tables if an id turns out to be stored already — a unique
violation — so replays still change nothing):

1. execution ids are reserved from the table's sequence in one step (``setval``; the writer lock
   keeps other writers out), so outcomes can name their execution's row without a lookup;
2. each new execution's outcome summary is computed in Python from the chunk's outcomes
   (:func:`core.tracking.precedence.summarize`, the same rule as the SQL), so each row is written
   once, with ``change_xid`` = this transaction;
3. outcomes whose execution is not in the chunk get its id from one lookup (or stay pending);
4. set-based statements do the rest: pending outcomes that executions of this chunk were awaiting
   are attached, and the executions that gained an outcome stored earlier (or whose summary is
   decided by a tie on client ids, which SQL orders by its collation) are recomputed in SQL.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from psycopg import Connection, adapters
from psycopg.adapt import Dumper
from psycopg.pq import Format

from core.tracking.keys import SEPARATOR
from core.tracking.pending import Pending
from core.tracking.precedence import NO_OUTCOME, SUMMARY_FIELDS, summarize
from core.tracking.rows import ExecValues, OutcomeValues
from core.tracking.store import EXEC_COLUMNS, OUTCOME_COLUMNS, RECOMPUTE_SUMMARIES

_COPY_EXECUTIONS = (
    f"COPY executions ({EXEC_COLUMNS}, {', '.join(SUMMARY_FIELDS)}, change_xid, id) FROM STDIN (FORMAT BINARY)"
)
_EXECUTION_TYPES = [
    "text", "int8", "int8", "text", "text", "text", "text[]", "text", "int4", "int4", "float8", "text", "text",
    "text", "jsonb", "timestamptz", "float8", "text", "bool", "bool", "int2", "int8", "int8",
]  # fmt: skip
_COPY_OUTCOMES = f"COPY outcomes ({OUTCOME_COLUMNS}, execution_pk) FROM STDIN (FORMAT BINARY)"
_OUTCOME_TYPES = [
    "text", "text", "text", "float8", "bool", "text", "text", "text", "float8", "int2", "timestamptz", "int8",
]  # fmt: skip
# The last of n ids taken from the sequence at once (ids last - n + 1 .. last are ours).
_RESERVE_IDS = (
    "SELECT setval(pg_get_serial_sequence('executions', 'id'), "
    "nextval(pg_get_serial_sequence('executions', 'id')) + %s - 1)"
)
_EXECUTION_IDS = "SELECT client_id, id FROM executions WHERE client_id = ANY(%s)"
_ATTACH = (
    "UPDATE outcomes o SET execution_pk = e.id FROM executions e "
    "WHERE o.execution_pk IS NULL AND o.execution_client_id = ANY(%s) AND e.client_id = o.execution_client_id "
    "RETURNING o.client_id, o.execution_client_id, e.id"
)
_CACHE_LIMIT = 10_000


class _SectionIdsDumper(Dumper):
    """text[] in binary from ids joined by U+001F (the staging form), cached: few distinct sets."""

    format = Format.BINARY
    oid = adapters.types["text"].array_oid

    def __init__(self, cls: type, context: Any = None) -> None:
        super().__init__(cls, context)
        self._cache: dict[str, bytes] = {}

    def dump(self, obj: str) -> bytes:
        found = self._cache.get(obj)
        if found is None:
            found = _text_array(obj.split(SEPARATOR) if obj else [])
            if len(self._cache) < _CACHE_LIMIT:
                self._cache[obj] = found
        return found


def _text_array(items: list[str]) -> bytes:
    """Postgres' binary array format: dimensions, flags (no NULLs), element type, then each element."""
    text_oid = adapters.types["text"].oid
    if not items:
        return struct.pack("!iiI", 0, 0, text_oid)
    parts = [struct.pack("!iiIii", 1, 0, text_oid, len(items), 1)]
    for item in items:
        encoded = item.encode("utf-8")
        parts += (struct.pack("!i", len(encoded)), encoded)
    return b"".join(parts)


class _JsonbTextDumper(Dumper):
    """jsonb in binary (version 1, then the JSON text) from JSON text."""

    format = Format.BINARY
    oid = adapters.types["jsonb"].oid

    def dump(self, obj: str) -> bytes:
        return b"\x01" + obj.encode("utf-8")


@dataclass
class DirectResult:
    """What a chunk did, applied to the call's counts once its savepoint is released."""

    executions: int
    outcomes: int
    pending: list[tuple[str, str]] = field(default_factory=list)  # (outcome, execution) client ids
    attached: list[tuple[str, str]] = field(default_factory=list)  # idem, pending ones attached


def write_direct(
    conn: Connection[Any],
    executions: Sequence[ExecValues],
    outcomes: Sequence[OutcomeValues],
    *,
    xid: int,
    pending: Pending,
) -> DirectResult:
    """COPY the chunk into the real tables; raises psycopg's UniqueViolation if an id is stored already."""
    by_execution: dict[str, list[OutcomeValues]] = {}
    for outcome in outcomes:
        by_execution.setdefault(outcome[1], []).append(outcome)
    first = _reserve_ids(conn, len(executions))
    rows, pks, recompute = _execution_rows(executions, by_execution, first, xid)  # pops in-chunk groups
    elsewhere = _stored_ids(conn, list(by_execution))  # outcomes whose execution is not in the chunk
    pks.update(elsewhere)
    recompute.update(elsewhere.values())
    result = DirectResult(len(executions), len(outcomes))
    result.pending = [(o[0], o[1]) for group in by_execution.values() for o in group if o[1] not in elsewhere]
    hits = pending.hits(conn, [row[0] for row in executions]) if executions else []
    _copy(conn, _COPY_EXECUTIONS, _EXECUTION_TYPES, rows)
    _copy(conn, _COPY_OUTCOMES, _OUTCOME_TYPES, ((*o, pks.get(o[1])) for o in outcomes))
    if hits:
        for outcome_id, execution_id, pk in conn.execute(_ATTACH, (hits,)):
            result.attached.append((outcome_id, execution_id))
            recompute.add(pk)
    if recompute:
        conn.execute(RECOMPUTE_SUMMARIES, {"pks": sorted(recompute)})
    return result


def _reserve_ids(conn: Connection[Any], count: int) -> int:
    if not count:
        return 0
    last = conn.execute(_RESERVE_IDS, (count,)).fetchone()
    assert last is not None
    return int(last[0]) - count + 1


def _execution_rows(
    executions: Sequence[ExecValues], by_execution: dict[str, list[OutcomeValues]], first: int, xid: int
) -> tuple[Iterator[tuple[Any, ...]], dict[str, int], set[int]]:
    """COPY rows of the executions (id, summary, ``change_xid`` appended); the ids of those that have
    outcomes in the chunk (whose groups are taken out of ``by_execution``); the ids whose summary SQL
    must decide. Computed before COPY starts, so that a generator streams only the concatenation."""
    no_outcome = (*NO_OUTCOME, xid)
    tails: dict[int, tuple[Any, ...]] = {}
    pks: dict[str, int] = {}
    recompute: set[int] = set()
    for index, row in enumerate(executions):
        group = by_execution.pop(row[0], None)
        if group is not None:
            pk = first + index
            summary, exact = summarize(_Evidence(o) for o in group)
            tails[index] = (*summary, xid)
            pks[row[0]] = pk
            if not exact:
                recompute.add(pk)
    rows = (row + tails.get(index, no_outcome) + (first + index,) for index, row in enumerate(executions))
    return rows, pks, recompute


class _Evidence:
    """An outcome row read by name, for ``summarize``."""

    __slots__ = ("accuracy", "client_id", "kind", "occurred_at", "rating")

    def __init__(self, row: OutcomeValues) -> None:
        self.client_id, self.kind, self.accuracy = row[0], row[2], row[3]
        self.rating, self.occurred_at = row[9], row[10]


def _stored_ids(conn: Connection[Any], client_ids: list[str]) -> dict[str, int]:
    if not client_ids:
        return {}
    return dict(conn.execute(_EXECUTION_IDS, (client_ids,)).fetchall())


def _copy(conn: Connection[Any], statement: str, types: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    with conn.cursor() as cursor:
        # For this cursor only, and only where set_types() names text[] or jsonb (by oid).
        cursor.adapters.register_dumper(None, _SectionIdsDumper)
        cursor.adapters.register_dumper(None, _JsonbTextDumper)
        with cursor.copy(statement) as copy:
            copy.set_types(types)
            write = copy.write_row
            for row in rows:
                write(row)
