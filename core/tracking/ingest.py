"""Ingest executions and outcomes: validate, redact, store idempotently, attach pending outcomes.

    with transaction(engine) as session:
        result = ingest_records(session, records)            # dicts or ExecutionRecord/OutcomeRecord

* A record with any problem is a *reject* naming the record (``record 3`` — its 0-based index — or
  ``line 12`` of a file), its client id and each bad field. Unless ``skip_invalid`` is set, one
  reject means nothing is written and :class:`IngestValidationError` lists them all.
* Replaying records (same client ids) changes nothing; they are counted as ``duplicates``.
* An outcome whose execution is unknown is stored as pending and attached when it arrives.
* Up to ``bulk_threshold`` records take a multi-row INSERT; more are validated per chunk in one
  pydantic-core call (``core.tracking.batch_schema``) and written by a worker thread while the next
  chunk is validated (``core.tracking.bulk``): binary COPY straight into the tables while every id
  is new (``core.tracking.direct``), else COPY into staging tables and ``INSERT ... SELECT ... ON
  CONFLICT``; all inside a savepoint so that a batch found bad half-way leaves nothing behind even
  if the caller goes on to commit.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from core.errors import ValidationError
from core.tracking.bulk import BulkWriter
from core.tracking.redaction import Redactor
from core.tracking.rows import Item, Reject
from core.tracking.store import WriteCounts, write_small
from core.tracking.validation import Validator

logger = logging.getLogger(__name__)

DEFAULT_BULK_THRESHOLD = 2000
CHUNK_SIZE = 50_000  # validation of one chunk overlaps the merge of the previous one
MAX_LISTED_REJECTS = 20


@dataclass(frozen=True)
class IngestResult:
    executions: int  # newly stored
    outcomes: int  # newly stored
    duplicates: int  # valid records whose client id was already stored or repeated in the batch
    attached: int  # outcomes of earlier batches attached to an execution that arrived now
    pending: int  # outcomes of this batch still waiting for their execution
    path: Literal["small", "bulk"]
    rejects: tuple[Reject, ...] = field(default=())

    @property
    def accepted(self) -> int:
        return self.executions + self.outcomes

    @property
    def rejected(self) -> int:
        return len(self.rejects)


class IngestValidationError(ValidationError):
    """Some records were invalid and ``skip_invalid`` was not set: nothing was written."""

    def __init__(self, rejects: list[Reject]) -> None:
        self.rejects = tuple(rejects)
        listed = "\n".join(f"  {reject.describe()}" for reject in rejects[:MAX_LISTED_REJECTS])
        more = len(rejects) - MAX_LISTED_REJECTS
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(
            f"{len(rejects)} invalid record(s), nothing was written:\n{listed}{tail}\n"
            "fix them, or skip them (skip_invalid / --skip-invalid) to load the valid ones"
        )


def ingest_records(
    session: Session,
    records: Iterable[Item],
    *,
    skip_invalid: bool = False,
    redactor: Redactor | None = None,
    bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
) -> IngestResult:
    """Validate and store ``records`` in the caller's transaction; see the module docstring."""
    started = time.perf_counter()
    validator = Validator(session, redactor or Redactor())
    items = iter(records)
    head = list(itertools.islice(items, bulk_threshold + 1))
    if len(head) <= bulk_threshold:
        path: Literal["small", "bulk"] = "small"
        counts = _small(session, validator, head, skip_invalid=skip_invalid)
    else:
        path = "bulk"
        counts = _bulk(session, validator, itertools.chain(head, items), skip_invalid=skip_invalid)
    result = IngestResult(
        executions=counts.executions,
        outcomes=counts.outcomes,
        duplicates=validator.valid - counts.executions - counts.outcomes + validator.duplicates,
        attached=counts.attached,
        pending=counts.pending,
        path=path,
        rejects=tuple(validator.rejects),
    )
    logger.info(
        "ingested %d executions, %d outcomes (%d duplicates, %d rejected, %d pending) via %s path in %.2fs",
        result.executions, result.outcomes, result.duplicates, result.rejected, result.pending, path,
        time.perf_counter() - started,
    )  # fmt: skip
    return result


def _small(session: Session, validator: Validator, items: list[Item], *, skip_invalid: bool) -> WriteCounts:
    executions, outcomes = validator.split(items)
    if validator.rejects and not skip_invalid:
        raise IngestValidationError(validator.rejects)
    return write_small(session, executions, outcomes)


def _bulk(session: Session, validator: Validator, items: Iterator[Item], *, skip_invalid: bool) -> WriteCounts:
    validator.preload()  # the worker owns the connection from here on: no lookups while it runs
    savepoint = session.begin_nested()
    writer = BulkWriter(session)
    try:
        while True:
            before = validator.checked
            # Items are consumed as validated: the chunk's input does not outlive it (see core.tracking.rows).
            executions, outcomes = validator.split(itertools.islice(items, CHUNK_SIZE))
            if validator.checked == before:
                break
            if skip_invalid or not validator.rejects:  # once a batch is doomed, only keep validating
                writer.submit(executions, outcomes)
            logger.info("validated %d records", validator.checked)
        counts = writer.finish()
        if validator.rejects and not skip_invalid:
            raise IngestValidationError(validator.rejects)
    except BaseException:
        writer.abort()
        if savepoint.is_active:
            savepoint.rollback()
        raise
    savepoint.commit()
    return counts
