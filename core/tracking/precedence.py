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
    if record.accuracy is not None:
        return record.accuracy, True
    kind = record.kind
    if kind is OutcomeKind.EXECUTION_SUCCESS:
        return 1.0, False
    if kind is OutcomeKind.EXECUTION_FAILURE:
        return 0.0, False
    if kind is OutcomeKind.USER_CORRECTION:
        return correction_similarity(record.original or "", record.corrected or ""), False
    if kind is OutcomeKind.QUALITY_SCORE:
        return float(record.score or 0.0), False
    return ((record.rating or 1) - 1) / 4.0, False


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
