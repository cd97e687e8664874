"""An outcome's accuracy, and which outcome decides an execution's *effective* accuracy.

Accuracy of one outcome (0–1): the client's ``accuracy`` when given, otherwise

* ``EXECUTION_SUCCESS`` → 1, ``EXECUTION_FAILURE`` → 0 (what the application knew at call time);
* ``USER_CORRECTION`` → similarity of original and corrected text: RapidFuzz's normalised Indel
  similarity (``fuzz.ratio / 100``: 1 − insertions+deletions / total length), computed on the text
  *before* redaction so placeholders do not distort it;
* ``QUALITY_SCORE`` → the score; ``USER_RATING`` → (rating − 1) / 4.

Effective accuracy of an execution: the accuracy of its highest-ranked outcome, ties broken by the
latest ``occurred_at`` and then by the larger outcome id (client id), so the result never depends
on arrival order. Ranks, strongest evidence first:

4. ``USER_CORRECTION`` — a person supplied the right answer: direct ground truth for this output.
3. ``USER_RATING`` — a person's judgment of this output, coarse (5 points) but first-hand.
2. ``QUALITY_SCORE`` — an automated evaluator's judgment: a proxy for a person's.
1. ``EXECUTION_SUCCESS`` / ``EXECUTION_FAILURE`` — call-time status, recorded before anyone saw the
   output (success is optimistic); between the two the latest wins (a downstream failure reported
   after an optimistic success replaces it).

Exactly one value per execution enters every statistic, however many outcomes it has, so nothing
is double counted. ``corrected``/``failed`` flag executions with at least one correction/failure;
``rating`` is the latest rating (same tie-break). All of it is recomputed from the execution's full
set of outcomes whenever one is added, so replays and out-of-order arrival give the same result.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from rapidfuzz import fuzz

from core.tracking.records import OutcomeKind, OutcomeRecord

RANK: dict[OutcomeKind, int] = {
    OutcomeKind.USER_CORRECTION: 4,
    OutcomeKind.USER_RATING: 3,
    OutcomeKind.QUALITY_SCORE: 2,
    OutcomeKind.EXECUTION_SUCCESS: 1,
    OutcomeKind.EXECUTION_FAILURE: 1,
}


def correction_similarity(original: str, corrected: str) -> float:
    """Normalised Indel similarity in [0, 1] (1: identical; two empty strings count as identical)."""
    return float(fuzz.ratio(original, corrected)) / 100.0


def outcome_accuracy(record: OutcomeRecord) -> tuple[float, bool]:
    """(accuracy, given) of one outcome, per the rules above."""
    return accuracy_of(
        record.kind, record.accuracy, original=record.original, corrected=record.corrected, score=record.score,
        rating=record.rating,
    )  # fmt: skip


def accuracy_of(
    kind: str,
    given: float | None,
    *,
    original: str | None,
    corrected: str | None,
    score: float | None,
    rating: int | None,
) -> tuple[float, bool]:
    """(accuracy, given) from an outcome's fields (``kind`` as an ``OutcomeKind`` or its value)."""
    if given is not None:
        return given, True
    if kind == OutcomeKind.EXECUTION_SUCCESS:
        return 1.0, False
    if kind == OutcomeKind.EXECUTION_FAILURE:
        return 0.0, False
    if kind == OutcomeKind.USER_CORRECTION:
        return correction_similarity(original or "", corrected or ""), False
    if kind == OutcomeKind.QUALITY_SCORE:
        return float(score or 0.0), False
    return ((rating or 1) - 1) / 4.0, False


def _rank_sql(kind: str) -> str:
    cases = " ".join(f"WHEN '{k.value}' THEN {r}" for k, r in RANK.items())
    return f"(CASE {kind} {cases} END)"


def summary_columns(alias: str = "") -> str:
    """SQL aggregates of one execution's outcomes into its summary (GROUP BY the execution).

    Columns: accuracy, accuracy_kind, corrected, failed, rating. Every aggregate is a top-1 pick
    or a bool_or, so seeing the same outcome twice cannot change the result.
    """
    p = f"{alias}." if alias else ""
    order = f"{_rank_sql(p + 'kind')} DESC, {p}occurred_at DESC, {p}client_id DESC"
    latest = f"{p}occurred_at DESC, {p}client_id DESC"
    return (
        f"(array_agg({p}accuracy ORDER BY {order}))[1] AS accuracy, "
        f"(array_agg({p}kind ORDER BY {order}))[1] AS accuracy_kind, "
        f"bool_or({p}kind = 'USER_CORRECTION') AS corrected, "
        f"bool_or({p}kind = 'EXECUTION_FAILURE') AS failed, "
        f"(array_agg({p}rating ORDER BY {latest}) FILTER (WHERE {p}kind = 'USER_RATING'))[1] AS rating"
    )


SUMMARY_FIELDS = ("accuracy", "accuracy_kind", "corrected", "failed", "rating")


class Evidence(Protocol):
    """What the summary needs of a stored outcome (``core.tracking.validation.OutcomeRow``)."""

    @property
    def client_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def accuracy(self) -> float: ...
    @property
    def rating(self) -> int | None: ...
    @property
    def occurred_at(self) -> datetime: ...


Summary = tuple[float | None, str | None, bool, bool, int | None]  # in SUMMARY_FIELDS order
NO_OUTCOME: Summary = (None, None, False, False, None)
_RANK_OF = {kind.value: rank for kind, rank in RANK.items()}


def summarize(outcomes: Iterable[Evidence]) -> tuple[Summary, bool]:
    """The summary of an execution with these outcomes, as :func:`summary_columns` computes it in SQL,
    and whether it is *exact*.

    It is not when the pick is decided by comparing client ids (two outcomes tie on rank and
    ``occurred_at``, or two ratings on ``occurred_at``): SQL compares them under the column's
    collation, which Python cannot reproduce, so the caller has SQL recompute those executions.
    """
    best: Evidence | None = None
    best_key: tuple[int, datetime] | None = None
    best_tied = False
    latest_rating: Evidence | None = None
    rating_tied = corrected = failed = False
    for outcome in outcomes:
        kind = outcome.kind
        key = (_RANK_OF[kind], outcome.occurred_at)
        if best_key is None or key > best_key:
            best, best_key, best_tied = outcome, key, False
        elif key == best_key:
            best_tied = True
        if kind == OutcomeKind.USER_CORRECTION:
            corrected = True
        elif kind == OutcomeKind.EXECUTION_FAILURE:
            failed = True
        elif kind == OutcomeKind.USER_RATING:
            if latest_rating is None or outcome.occurred_at > latest_rating.occurred_at:
                latest_rating, rating_tied = outcome, False
            elif outcome.occurred_at == latest_rating.occurred_at:
                rating_tied = True
    if best is None:
        return NO_OUTCOME, True
    rating = latest_rating.rating if latest_rating is not None else None
    return (best.accuracy, str(best.kind), corrected, failed, rating), not (best_tied or rating_tied)
