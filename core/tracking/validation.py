"""Turn raw input into storable rows, or into rejects that name the record, the field and the reason.

One :class:`Validator` serves one ingestion call: it validates with the pydantic record models,
resolves prompt names and version strings to ids (cached), computes outcome accuracies, redacts
free text and drops repeats of a client id within the call (counted as duplicates).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models.registry import Prompt, PromptVersion
from core.tracking.keys import SEPARATOR, canonical_sections, section_set_hash
from core.tracking.precedence import outcome_accuracy
from core.tracking.records import TIMEZONE_NEEDED, ExecutionRecord, OutcomeRecord, Record
from core.tracking.redaction import Redactor

_RECORD = TypeAdapter[ExecutionRecord | OutcomeRecord](Record)
_DIRECT: dict[str, type[ExecutionRecord] | type[OutcomeRecord]] = {
    "execution": ExecutionRecord,
    "outcome": OutcomeRecord,
}


_CACHE_LIMIT = 100_000  # distinct segments remembered per call (high-cardinality ones just miss)


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
    """An execution as staged for storage (column order of the COPY staging table)."""

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


def format_pydantic_errors(exc: PydanticValidationError) -> str:
    """``field.path: message; ...`` without the union tag pydantic puts first."""
    parts = []
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        if loc and loc[0] in ("execution", "outcome"):
            loc = loc[1:]
        message = (
            TIMEZONE_NEEDED if error["type"] == "timezone_aware" else str(error["msg"]).removeprefix("Value error, ")
        )
        path = ".".join(str(part) for part in loc)
        parts.append(f"{path}: {message}" if path else message)
    return "; ".join(parts)


class _Registry:
    """(prompt name, version) -> (prompt id, version id), loaded once per prompt per call."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._versions: dict[str, dict[str, tuple[int, int]] | None] = {}
        self._complete = False  # load_all() ran: a name not loaded is unknown

    def resolve(self, prompt: str, version: str) -> tuple[int, int] | str:
        if prompt not in self._versions:
            self._load(prompt)
        versions = self._versions[prompt]
        if versions is None:
            return f"prompt: unknown prompt '{prompt}' (create it first: `promptloop prompts create {prompt}`)"
        ids = versions.get(version)
        if ids is None:
            return f"version: prompt '{prompt}' has no version '{version}'"
        return ids

    def load_all(self) -> None:
        """Every prompt and version at once (a registry holds hundreds, not millions)."""
        rows = self._session.execute(
            select(Prompt.name, Prompt.id, PromptVersion.id, PromptVersion.version).outerjoin(
                PromptVersion, PromptVersion.prompt_id == Prompt.id
            )
        ).all()
        loaded: dict[str, dict[str, tuple[int, int]] | None] = {}
        for name, pid, vid, version in rows:
            versions = loaded.setdefault(name, {})
            if version is not None and versions is not None:
                versions[version] = (pid, vid)
        self._versions = loaded
        self._complete = True

    def _load(self, prompt: str) -> None:
        if self._complete:
            self._versions[prompt] = None
            return
        rows = self._session.execute(
            select(Prompt.id, PromptVersion.id, PromptVersion.version)
            .outerjoin(PromptVersion, PromptVersion.prompt_id == Prompt.id)
            .where(Prompt.name == prompt)
        ).all()
        if not rows:
            self._versions[prompt] = None
            return
        self._versions[prompt] = {version: (pid, vid) for pid, vid, version in rows if version is not None}


class Validator:
    def __init__(self, session: Session, redactor: Redactor) -> None:
        self._registry = _Registry(session)
        self._redactor = redactor
        self._seen_executions: set[str] = set()
        self._seen_outcomes: set[str] = set()
        self._section_cache: dict[tuple[str, ...], tuple[str, str]] = {}
        self._segment_cache: dict[str, str] = {}
        self.rejects: list[Reject] = []
        self.duplicates = 0
        self.valid = 0

    def preload(self) -> None:
        """Load the whole registry now, so that validation needs the database no more."""
        self._registry.load_all()

    def check(self, item: SourceRecord) -> ExecRow | OutcomeRow | None:
        """A storable row, or None (rejected: see ``rejects``; or a repeat: see ``duplicates``)."""
        if item.error is not None:
            self._reject(item, None, item.error)
            return None
        record = self._model(item)
        if record is None:
            return None
        if isinstance(record, ExecutionRecord):
            return self._execution(item, record)
        return self._outcome(record)

    def _model(self, item: SourceRecord) -> ExecutionRecord | OutcomeRecord | None:
        data = item.data
        if type(data) is not dict:  # the common case first: isinstance against ABCs is slow
            if isinstance(data, (ExecutionRecord, OutcomeRecord)):
                return data
            if not isinstance(data, Mapping):
                self._reject(item, None, f"expected an object with a 'type' field, got {type(data).__name__}")
                return None
        declared = data.get("type")
        model = _DIRECT.get(declared) if isinstance(declared, str) else None
        try:
            # Straight to the model when the tag is right (~15 % faster than the tagged union);
            # anything else goes through the union, whose error names the bad or missing tag.
            return model.model_validate(data) if model is not None else _RECORD.validate_python(data)
        except PydanticValidationError as exc:
            client_id = data.get("id")
            self._reject(item, client_id if isinstance(client_id, str) else None, format_pydantic_errors(exc))
            return None

    def _execution(self, item: SourceRecord, record: ExecutionRecord) -> ExecRow | None:
        resolved = self._registry.resolve(record.prompt, record.version)
        if isinstance(resolved, str):
            self._reject(item, record.id, resolved)
            return None
        if record.id in self._seen_executions:
            self.duplicates += 1
            return None
        self._seen_executions.add(record.id)
        self.valid += 1
        joined, hashed = self._sections(record.sections)
        return ExecRow(
            record.id,
            resolved[0],
            resolved[1],
            record.label,
            record.experiment,
            record.arm,
            joined,
            hashed,
            record.prompt_tokens,
            record.completion_tokens,
            record.latency_ms,
            record.model,
            record.unit_id,
            record.session_id,
            self._segment_json(record.segment),
            record.occurred_at,
        )

    def _sections(self, sections: list[str]) -> tuple[str, str]:
        """(canonical ids joined by U+001F, their hash): few distinct sets, so cached per call."""
        key = tuple(sections)
        found = self._section_cache.get(key)
        if found is None:
            canonical = canonical_sections(sections)
            found = self._section_cache[key] = (SEPARATOR.join(canonical), section_set_hash(canonical))
        return found

    def _segment_json(self, segment: dict[str, Any]) -> str:
        """The segment as JSON text. Segments repeat (they are categories), so encodings are cached
        by the dict's repr, which tells 1, 1.0, True and "1" apart (dict keys would not)."""
        if not segment:
            return "{}"
        key = repr(segment)
        found = self._segment_cache.get(key)
        if found is None:
            found = json.dumps(segment)  # default arguments: the cached C encoder
            if len(self._segment_cache) < _CACHE_LIMIT:
                self._segment_cache[key] = found
        return found

    def _outcome(self, record: OutcomeRecord) -> OutcomeRow | None:
        if record.id in self._seen_outcomes:
            self.duplicates += 1
            return None
        self._seen_outcomes.add(record.id)
        self.valid += 1
        accuracy, given = outcome_accuracy(record)
        redact = self._redactor.redact
        return OutcomeRow(
            record.id,
            record.execution_id,
            record.kind.value,
            accuracy,
            given,
            redact(record.error),
            redact(record.original),
            redact(record.corrected),
            record.score,
            record.rating,
            record.occurred_at,
        )

    def _reject(self, item: SourceRecord, client_id: str | None, reason: str) -> None:
        self.rejects.append(Reject(item.position, item.where, client_id, reason, item.raw))
