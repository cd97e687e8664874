"""Reading records from JSONL and CSV files (format: docs/ingest-format.md), with line numbers.

Each item carries its line number and original text so that rejects can be reported and written
back as they were read. A line that cannot be parsed at all becomes a reject, not an exception.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session

from core.errors import ValidationError
from core.tracking.ingest import DEFAULT_BULK_THRESHOLD, IngestResult, ingest_records
from core.tracking.records import ExecutionRecord, OutcomeRecord
from core.tracking.redaction import Redactor
from core.tracking.validation import Reject, SourceRecord

FileFormat = Literal["jsonl", "csv"]
SECTION_SEPARATOR = "|"
CSV_COLUMNS = frozenset(ExecutionRecord.model_fields) | frozenset(OutcomeRecord.model_fields)
_SUFFIXES: dict[str, FileFormat] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv"}


def detect_format(path: Path) -> FileFormat:
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise ValidationError(f"cannot tell the format of '{path.name}': name it .jsonl or .csv, or pass --format")
    return found


def read_jsonl(stream: io.TextIOBase | Any) -> Iterator[SourceRecord]:
    for number, line in enumerate(stream, start=1):
        raw = line.rstrip("\r\n")
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield SourceRecord(number, "line", None, raw, f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(data, dict):
            yield SourceRecord(number, "line", None, raw, "each line must be one JSON object")
            continue
        yield SourceRecord(number, "line", data, raw)


def _check_header(header: list[str]) -> None:
    unknown = [c for c in header if c not in CSV_COLUMNS and not (c.startswith("segment.") and len(c) > 8)]
    if unknown:
        raise ValidationError(
            f"line 1: unknown CSV column(s) {', '.join(repr(c) for c in unknown)}; "
            f"see docs/ingest-format.md for the columns"
        )
    if "type" not in header:
        raise ValidationError("line 1: the CSV header needs a 'type' column (execution or outcome)")


def _csv_record(row: dict[str, str]) -> dict[str, Any]:
    """Empty cells are absent fields; ``sections`` is '|'-separated; ``segment.<key>`` columns are strings."""
    record: dict[str, Any] = {}
    segment: dict[str, Any] = {}
    for column, cell in row.items():
        if cell is None or cell == "":
            continue
        if column.startswith("segment."):
            segment[column.removeprefix("segment.")] = cell
        elif column == "sections":
            record["sections"] = [part for part in cell.split(SECTION_SEPARATOR) if part]
        elif column == "segment":
            record["segment"] = json.loads(cell)
        else:
            record[column] = cell
    if segment:
        record["segment"] = {**record.get("segment", {}), **segment}
    return record


def read_csv(stream: io.TextIOBase | Any) -> Iterator[SourceRecord]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        return
    _check_header(header)
    start = reader.line_num + 1
    for cells in reader:
        number, start = start, reader.line_num + 1
        if not any(cells):
            continue
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow(cells)
        raw = out.getvalue()
        if len(cells) != len(header):
            yield SourceRecord(number, "line", None, raw, f"has {len(cells)} cells, the header has {len(header)}")
            continue
        try:
            yield SourceRecord(number, "line", _csv_record(dict(zip(header, cells, strict=True))), raw)
        except json.JSONDecodeError as exc:
            yield SourceRecord(number, "line", None, raw, f"segment: not valid JSON: {exc.msg}")


def read_records(path: Path, *, file_format: FileFormat | None = None) -> Iterator[SourceRecord]:
    """Records of a JSONL or CSV file, lazily, each with its line number."""
    chosen = file_format or detect_format(path)
    with path.open(encoding="utf-8", newline="" if chosen == "csv" else None) as stream:
        yield from (read_csv(stream) if chosen == "csv" else read_jsonl(stream))


def ingest_file(
    session: Session,
    path: Path,
    *,
    file_format: FileFormat | None = None,
    skip_invalid: bool = False,
    redactor: Redactor | None = None,
    bulk_threshold: int = DEFAULT_BULK_THRESHOLD,
) -> IngestResult:
    """``ingest_records`` over a file; rejects name their line numbers."""
    return ingest_records(
        session,
        read_records(path, file_format=file_format),
        skip_invalid=skip_invalid,
        redactor=redactor,
        bulk_threshold=bulk_threshold,
    )


def write_rejects(path: Path, rejects: tuple[Reject, ...] | list[Reject]) -> None:
    """One JSON object per reject: line, id, reason and the original line as read."""
    with path.open("w", encoding="utf-8") as out:
        for reject in rejects:
            out.write(
                json.dumps(
                    {"line": reject.position, "id": reject.client_id, "reason": reject.reason, "original": reject.raw},
                    ensure_ascii=False,
                )
                + "\n"
            )
