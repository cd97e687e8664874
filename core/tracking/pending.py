"""What one bulk ingestion call knows of pending outcomes (stored before their execution).

It holds the writer lock (``core.tracking.store``) from its first write, so no one else stores or
attaches outcomes meanwhile: what it loads then and keeps up to date as it writes stays true.

* :meth:`Pending.hits` — which of a chunk's (new) executions have pending outcomes stored, so that
  the direct path attaches those with one set-based UPDATE instead of probing for every execution.
  The client ids of executions awaited by pending outcomes are loaded once when there are at most
  ``HELD_LIMIT``; past that they are looked up per chunk in SQL (the partial index on pending
  outcomes), which costs an index probe per execution.
* ``ours`` / ``attached`` — the counts ``IngestResult`` reports: outcomes of this call still pending,
  and outcomes of earlier calls attached to an execution of this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg import Connection

HELD_LIMIT = 200_000

_LOAD = "SELECT DISTINCT execution_client_id FROM outcomes WHERE execution_pk IS NULL LIMIT %s"
_PROBE = (
    "SELECT DISTINCT execution_client_id FROM outcomes WHERE execution_pk IS NULL AND execution_client_id = ANY(%s)"
)


class Pending:
    def __init__(self, conn: Connection[Any]) -> None:
        awaited = [row[0] for row in conn.execute(_LOAD, (HELD_LIMIT + 1,))]
        # None: too many to hold, ask the database per chunk
        self._awaited: set[str] | None = set(awaited) if len(awaited) <= HELD_LIMIT else None
        self.ours: set[str] = set()  # client ids of this call's outcomes still pending
        self.attached = 0

    def hits(self, conn: Connection[Any], execution_ids: Sequence[str]) -> list[str]:
        """Those of ``execution_ids`` that pending outcomes await."""
        awaited = self._awaited
        if awaited is None:
            return [row[0] for row in conn.execute(_PROBE, (list(execution_ids),))]
        if not awaited:
            return []
        return [client_id for client_id in execution_ids if client_id in awaited]

    def stored(self, outcomes: Iterable[tuple[str, str]]) -> None:
        """(outcome client id, execution client id) of outcomes this call stored as pending."""
        for outcome_id, execution_id in outcomes:
            self.ours.add(outcome_id)
            if self._awaited is not None:
                self._awaited.add(execution_id)

    def attached_now(self, outcomes: Iterable[tuple[str, str]]) -> None:
        """(outcome client id, execution client id) of pending outcomes just attached (all of them,
        for each of those executions)."""
        for outcome_id, execution_id in outcomes:
            if outcome_id in self.ours:
                self.ours.discard(outcome_id)  # ours, from an earlier chunk of this call
            else:
                self.attached += 1
            if self._awaited is not None:
                self._awaited.discard(execution_id)
