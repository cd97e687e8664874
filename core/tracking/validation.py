"""Turn raw input into storable rows, or into rejects that name the record, the field and the reason.

One :class:`Validator` serves one ingestion call: it validates records, resolves prompt names and
version strings to ids (cached), computes outcome accuracies, redacts free text and drops repeats of
a client id within the call (counted as duplicates).

:meth:`Validator.split` validates dicts a few at a time with the whole-list schema of
``core.tracking.batch_schema`` (pydantic-core only) and does what the models' Python validators do
in plain Python afterwards; anything that schema or those checks refuse, and anything that is not a
dict, goes through the record models one by one (:meth:`Validator.check`), which name the field and
the reason — so rejects read the same on every path, and the models decide what is valid.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models.registry import Prompt, PromptVersion
from core.tracking.batch_schema import NUL_FREE_FIELDS, validate_batch
from core.tracking.keys import SEPARATOR, canonical_sections, section_set_hash
from core.tracking.precedence import accuracy_of
from core.tracking.records import TIMEZONE_NEEDED, ExecutionRecord, OutcomeKind, OutcomeRecord, Record
from core.tracking.redaction import Redactor
from core.tracking.rows import ExecRow, ExecValues, Item, OutcomeRow, OutcomeValues, Reject, SourceRecord

__all__ = ["ExecRow", "ExecValues", "Item", "OutcomeRow", "OutcomeValues", "Reject", "SourceRecord", "Validator"]

_RECORD = TypeAdapter[ExecutionRecord | OutcomeRecord](Record)
_DIRECT: dict[str, type[ExecutionRecord] | type[OutcomeRecord]] = {
    "execution": ExecutionRecord,
    "outcome": OutcomeRecord,
}


_CACHE_LIMIT = 100_000  # distinct segments remembered per call (high-cardinality ones just miss)
# Dicts per call of the whole-list schema. Small on purpose: the validated dicts (three tracked
# containers per execution) then die before Python's cyclic GC promotes them to the old generation
# (a young collection runs every 700 tracked allocations). Lists of thousands make full collections
# frequent, and each of those walks the caller's whole heap — a million input records, say — which
# doubled the cost of validation in the benchmark.
_SCHEMA_BATCH = 128
_NOT_UNIQUE = ("", "")  # cached for a section list with repeated ids (compared by identity)
_HAS_NUL = ("\x00", "")  # cached for a section list with a NUL character in an id (by identity)
# Postgres text and jsonb cannot hold U+0000: a record carrying one is rejected here, naming the field,
# instead of failing the whole batch in the database.
NUL_REASON = "contains a NUL character (\\u0000), which cannot be stored"
_NUL_FIELDS = NUL_FREE_FIELDS[ExecutionRecord]
_NUL_TEXT_FIELDS = NUL_FREE_FIELDS[OutcomeRecord]
_KIND = {kind.value: kind.value for kind in OutcomeKind}  # a kind as the schema passed it -> a plain str


def _source(item: Item, position: int) -> SourceRecord:
    return item if isinstance(item, SourceRecord) else SourceRecord(position, "record", item)


def _segment_has_nul(segment: dict[str, Any]) -> bool:
    return any("\x00" in key or (type(value) is str and "\x00" in value) for key, value in segment.items())


def _nul_reason(record: dict[str, Any], names: tuple[str, ...], *, in_sections: bool = False) -> str:
    """The reject reason naming each field of a record (of ``names``, its sections, its segment) that holds
    a NUL character."""
    fields = [name for name in names if "\x00" in (record.get(name) or "")]
    if in_sections:
        fields.append("sections")
    if _segment_has_nul(record.get("segment") or {}):
        fields.append("segment")
    return "; ".join(f"{name}: {NUL_REASON}" for name in fields)


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
        self._segment_by_pairs: dict[tuple[tuple[str, Any], ...], str] = {}
        self._resolved: dict[tuple[str, str], tuple[int, int] | str] = {}
        self.rejects: list[Reject] = []
        self.duplicates = 0
        self.valid = 0
        self.checked = 0  # items seen, valid or not

    def preload(self) -> None:
        """Load the whole registry now, so that validation needs the database no more."""
        self._registry.load_all()

    def check(self, item: Item) -> ExecRow | OutcomeRow | None:
        """A storable row, or None (rejected: see ``rejects``; or a repeat: see ``duplicates``)."""
        executions, outcomes = self.split([item])
        if executions:
            return ExecRow._make(executions[0])
        return OutcomeRow._make(outcomes[0]) if outcomes else None

    def split(self, items: Iterable[Item]) -> tuple[list[ExecValues], list[OutcomeValues]]:
        """The storable rows of ``items`` (consumed lazily), executions and outcomes, in input order.

        An item that is not a :class:`SourceRecord` is ``record <n>``, n its 0-based index among all
        the items this validator was given (its SourceRecord is only built if it is rejected).
        """
        executions: list[ExecValues] = []
        outcomes: list[OutcomeValues] = []
        batch: list[Item] = []
        data: list[dict[str, Any]] = []
        start = 0
        for item in items:
            position = self.checked
            self.checked += 1
            if type(item) is dict:
                record = item
            elif type(item) is SourceRecord and type(item.data) is dict and item.error is None:
                record = item.data
            else:
                if batch:  # keep the input order: it decides which repeat of an id wins
                    self._check_dicts(batch, data, start, executions, outcomes)
                    batch, data = [], []
                self._check_one(_source(item, position), executions, outcomes)
                continue
            if not batch:
                start = position
            batch.append(item)
            data.append(record)
            if len(batch) == _SCHEMA_BATCH:
                self._check_dicts(batch, data, start, executions, outcomes)
                batch, data = [], []
        if batch:
            self._check_dicts(batch, data, start, executions, outcomes)
        return executions, outcomes

    def _check_dicts(
        self,
        items: list[Item],
        data: list[dict[str, Any]],
        start: int,
        executions: list[ExecValues],
        outcomes: list[OutcomeValues],
    ) -> None:
        execution_row, outcome_row = self._execution_row, self._outcome_row
        for offset, record in enumerate(validate_batch(data)):
            if record is None:  # the models say why (or, should they accept it after all, it is stored)
                self._check_one(_source(items[offset], start + offset), executions, outcomes)
            elif record["type"] == "execution":
                if (row := execution_row(record, items[offset], start + offset)) is not None:
                    executions.append(row)
            elif (outcome := outcome_row(record, items[offset], start + offset)) is not None:
                outcomes.append(outcome)

    def _check_one(self, item: SourceRecord, executions: list[ExecValues], outcomes: list[OutcomeValues]) -> None:
        """One item through the record models."""
        if item.error is not None:
            self._reject(item, None, item.error)
            return
        record = self._model(item)
        if isinstance(record, ExecutionRecord):
            if (row := self._execution_row(dict(record), item, item.position, checked=True)) is not None:
                executions.append(row)
        elif record is not None and (
            outcome := self._outcome_row({**dict(record), "kind": record.kind.value}, item, item.position, checked=True)
        ):
            outcomes.append(outcome)

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

    def _execution_row(
        self, record: dict[str, Any], item: Item, position: int, *, checked: bool = False
    ) -> ExecValues | None:
        """The row of a valid execution (fields as ``ExecutionRecord`` has them; absent ones at their
        defaults). Unless ``checked`` (by the model), first what ``ExecutionRecord._check`` checks:
        a failure sends the item through the model, which names it. If ``checked``, its free-text
        fields are searched for NUL (otherwise the batch schema refused it there)."""
        get = record.get
        label, experiment, arm = get("label") or None, get("experiment") or None, get("arm") or None
        sections = self._sections(get("sections"))
        if not checked and ((arm is not None and experiment is None) or sections is _NOT_UNIQUE):
            executions: list[ExecValues] = []
            self._check_one(_source(item, position), executions, [])
            return executions[0] if executions else None
        client_id = record["id"]
        model, unit_id, session_id = get("model"), get("unit_id"), get("session_id")
        segment = get("segment")
        segment_json = self._segment_json(segment) if segment else "{}"
        # The schema refused NUL in these fields (core.tracking.batch_schema), the models do not: on their
        # path, one search over the fields joined (None shows as "None").
        if (
            (checked and "\x00" in f"{label}{experiment}{arm}{model}{unit_id}{session_id}")
            or sections is _HAS_NUL
            or ("\\u0000" in segment_json and _segment_has_nul(segment or {}))
        ):
            reason = _nul_reason(record, _NUL_FIELDS, in_sections=sections is _HAS_NUL)
            self._reject(_source(item, position), client_id, reason)
            return None
        key = (record["prompt"], record["version"])
        resolved = self._resolved.get(key)
        if resolved is None:
            resolved = self._resolved[key] = self._registry.resolve(*key)
        if isinstance(resolved, str):
            self._reject(_source(item, position), client_id, resolved)
            return None
        if client_id in self._seen_executions:
            self.duplicates += 1
            return None
        self._seen_executions.add(client_id)
        self.valid += 1
        return (
            client_id, resolved[0], resolved[1], label, experiment, arm, *sections, record["prompt_tokens"],
            get("completion_tokens"), record["latency_ms"], model, unit_id, session_id, segment_json,
            record["occurred_at"].astimezone(UTC),
        )  # fmt: skip

    def _outcome_row(
        self, record: dict[str, Any], item: Item, position: int, *, checked: bool = False
    ) -> OutcomeValues | None:
        """The row of a valid outcome (its kind's fields checked by the schema or, if ``checked``, the model)."""
        client_id = record["id"]
        get = record.get
        error, original, corrected = get("error"), get("original"), get("corrected")
        if checked and "\x00" in f"{error}{original}{corrected}":
            self._reject(_source(item, position), client_id, _nul_reason(record, _NUL_TEXT_FIELDS))
            return None
        if client_id in self._seen_outcomes:
            self.duplicates += 1
            return None
        self._seen_outcomes.add(client_id)
        self.valid += 1
        kind = _KIND[record["kind"]]
        score, rating = get("score"), get("rating")
        accuracy, given = accuracy_of(
            kind, get("accuracy"), original=original, corrected=corrected, score=score, rating=rating
        )
        redact = self._redactor.redact
        return (
            client_id, record["execution_id"], kind, accuracy, given, redact(error), redact(original),
            redact(corrected), score, rating, record["occurred_at"].astimezone(UTC),
        )  # fmt: skip

    def _sections(self, sections: list[str] | None) -> tuple[str, str]:
        """(canonical ids joined by U+001F, their hash), or ``_NOT_UNIQUE`` if an id repeats.
        Few distinct sets: cached per call."""
        key = tuple(sections) if sections else ()
        found = self._section_cache.get(key)
        if found is None:
            if len(set(key)) != len(key):
                found = _NOT_UNIQUE
            elif any("\x00" in section for section in key):
                found = _HAS_NUL
            else:
                canonical = canonical_sections(key)
                found = (SEPARATOR.join(canonical), section_set_hash(canonical))
            self._section_cache[key] = found
        return found

    def _segment_json(self, segment: dict[str, Any]) -> str:
        """The segment as JSON text. Segments repeat (they are categories), so encodings are cached:
        by the (key, value) pairs when every value is a string — a hit then means equal strings — and
        otherwise by the dict's repr, which tells 1, 1.0, True and "1" apart (the pairs would not)."""
        pairs = tuple(segment.items())
        found = self._segment_by_pairs.get(pairs)
        if found is not None:
            return found
        strings = all(type(value) is str for value in segment.values())
        key = None if strings else repr(segment)
        found = self._segment_cache.get(key) if key is not None else None
        if found is None:
            found = json.dumps(segment)  # default arguments: the cached C encoder
            if len(self._segment_cache) + len(self._segment_by_pairs) < _CACHE_LIMIT:
                if key is None:
                    self._segment_by_pairs[pairs] = found
                else:
                    self._segment_cache[key] = found
        return found

    def _reject(self, item: SourceRecord, client_id: str | None, reason: str) -> None:
        self.rejects.append(Reject(item.position, item.where, client_id, reason, item.raw))
