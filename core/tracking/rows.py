"""What validation hands to storage: input items with their position, rejects, and storable rows.

Rows travel as *plain tuples* in the column order that :class:`ExecRow` and :class:`OutcomeRow`
name (``ExecRow._make(values)`` gives names where they help). A bulk load holds a chunk of rows
until it is written, and Python's cyclic GC untracks a plain tuple of strings, numbers and
datetimes the first time it sees it, but never a NamedTuple: a million tracked rows would make
every full collection walk them (and the caller's whole heap) over and over.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from core.tracking.records import ExecutionRecord, OutcomeRecord


class SourceRecord(NamedTuple):
    """One input item with where it came from (``line 12`` of a file, ``record 3`` of a list).

    A NamedTuple, not a dataclass: one is built per record, and on the bulk path that shows.
    """

    position: int
    unit: str  # "line" or "record"
    data: Mapping[str, Any] | ExecutionRecord | OutcomeRecord | None
    raw: str | None = None
    error: str | None = None  # the item could not even be parsed (bad JSON, bad CSV cell)

    @property
    def where(self) -> str:
        return f"{self.unit} {self.position}"


@dataclass(frozen=True)
class Reject:
    position: int
    where: str
    client_id: str | None
    reason: str
    raw: str | None = None

    def describe(self) -> str:
        who = f" (id '{self.client_id}')" if self.client_id else ""
        return f"{self.where}{who}: {self.reason}"


class ExecRow(NamedTuple):
    """The columns of an execution as stored (and as staged for COPY), in order."""

    client_id: str
    prompt_id: int
    version_id: int
    label: str | None
    experiment: str | None
    arm: str | None
    sections: str  # canonical ids joined by U+001F
    section_set_hash: str
    prompt_tokens: int
    completion_tokens: int | None
    latency_ms: float
    model: str | None
    unit_id: str | None
    session_id: str | None
    segment: str  # JSON text
    occurred_at: datetime


class OutcomeRow(NamedTuple):
    client_id: str
    execution_client_id: str
    kind: str
    accuracy: float
    accuracy_given: bool
    error: str | None
    original: str | None
    corrected: str | None
    score: float | None
    rating: int | None
    occurred_at: datetime


# ExecRow / OutcomeRow as plain tuples (see the module docstring).
ExecValues = tuple[
    str, int, int, str | None, str | None, str | None, str, str, int, int | None, float, str | None, str | None,
    str | None, str, datetime,
]  # fmt: skip
OutcomeValues = tuple[
    str, str, str, float, bool, str | None, str | None, str | None, float | None, int | None, datetime
]  # fmt: skip

# What ingestion accepts: a record (dict or model) — ``record <index>`` in messages — or a SourceRecord.
Item = Mapping[str, Any] | ExecutionRecord | OutcomeRecord | SourceRecord
