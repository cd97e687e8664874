"""Records -> one row per execution with its effective accuracy, by ingestion's own precedence rules.

The planted sizes are checked on what ingestion will store, not on the generator's internals: each
outcome's accuracy comes from ``core.tracking.precedence.outcome_accuracy`` and the execution's
effective accuracy from its highest-ranked outcome (ties: latest, then larger id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import pandas as pd

from core.tracking.precedence import RANK, outcome_accuracy
from core.tracking.records import OutcomeKind, OutcomeRecord


def _parse(value: object) -> datetime:
    assert isinstance(value, str)
    return datetime.fromisoformat(value)


def executions_frame(records: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    executions: list[dict[str, object]] = []
    best: dict[str, tuple[int, str, str, float]] = {}
    flags: dict[str, dict[str, object]] = {}
    for record in records:
        if record["type"] == "execution":
            segment = record["segment"]
            assert isinstance(segment, dict)
            executions.append({**{k: v for k, v in record.items() if k != "segment"}, **segment})
            continue
        outcome = OutcomeRecord.model_construct(
            **{**record, "kind": OutcomeKind(record["kind"]), "occurred_at": _parse(record["occurred_at"])}
        )
        accuracy, _given = outcome_accuracy(outcome)
        key = (RANK[outcome.kind], outcome.occurred_at.isoformat(), outcome.id, accuracy)
        current = best.get(outcome.execution_id)
        if current is None or key[:3] > current[:3]:
            best[outcome.execution_id] = key
        f = flags.setdefault(outcome.execution_id, {"corrected": False, "failed": False})
        if outcome.kind is OutcomeKind.USER_CORRECTION:
            f["corrected"] = True
            f["original"], f["corrected_text"] = outcome.original, outcome.corrected
        if outcome.kind is OutcomeKind.EXECUTION_FAILURE:
            f["failed"] = True
    frame = pd.DataFrame(executions)
    frame["accuracy"] = frame["id"].map(lambda i: best[i][3] if i in best else float("nan"))
    extra = pd.DataFrame.from_dict(flags, orient="index")
    frame = frame.join(extra, on="id")
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    return frame
