"""The SQL of the rollup refresh: per-cell-hour and per-unit-day aggregates over ``executions``.

Written for speed over tens of millions of rows (bench: 10M executions in well under a minute on
two cores), so a few choices need saying:

* Hours and days are ``date_bin`` over the UTC epoch-aligned origin :data:`ORIGIN`: plain
  arithmetic on the instant, unlike ``date_trunc(..., 'UTC')`` which converts time zones per row.
  Migration 0002 keeps statistics on exactly these expressions (``CREATE STATISTICS``) so the
  planner knows there are few hours, and chooses a parallel partial hash aggregate.
* A cell-hour is computed in one level of ``GROUP BY``; the three histograms are sums of
  ``promptloop_hist_unit(bucket)`` — one-hot numerics, one 10-digit field per bucket — which
  ``promptloop_hist_unpack`` turns back into the dense ``integer[]`` (functions in migration 0002).
  ``sum(numeric)`` is a built-in aggregate with partial (parallel) support, so a histogram costs one
  cheap addition per row instead of a second aggregation level or a procedural loop.
* Segment values are grouped on as text (``segment ->> 'dim'``): hashing jsonb values costs about
  four times more. ``min(id)`` picks a sample execution of each cell-hour, from which the final row
  reads the segment values as JSON (the key keeps their type) and ``section_ids`` (equal for every
  execution with the same ``section_set_hash``). So a value sent as ``1`` by one client and as
  ``"1"`` by another falls in one cell, keyed by the sample's JSON type: deterministic, because the
  sample is the lowest id of the whole cell-hour, which both incremental and full refreshes read.
* Statements that aggregate build a temporary table (``CREATE TEMP TABLE ... AS``: parallel
  query allowed) and the small result is inserted; ``INSERT ... SELECT`` never runs in parallel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.tracking.histogram import HIGH_ACCURACY

ORIGIN = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
# Keep in sync with the statistics objects of migration 0002 (the expressions must match exactly).
HOUR = f"date_bin(INTERVAL '1 hour', e.occurred_at, {ORIGIN})"
DAY = f"date_bin(INTERVAL '1 day', e.occurred_at, {ORIGIN})"

HOURLY_COLUMNS = (
    "prompt_id, hour, version_id, label, experiment, arm, section_set_hash, segment_key, section_ids, executions, "
    "accuracy_n, accuracy_sum, accuracy_sum_sq, corrections, failures, rating_n, rating_sum, prompt_tokens_sum, "
    "prompt_tokens_max, completion_tokens_sum, latency_ms_sum, latency_hist, prompt_tokens_hist, "
    "prompt_tokens_hist_high"
)
UNIT_COLUMNS = (
    "prompt_id, day, unit_id, executions, accuracy_n, accuracy_sum, accuracy_sum_sq, corrections, failures, "
    "prompt_tokens_sum"
)
_CELL = ("version_id", "label", "experiment", "arm", "section_set_hash")


def _hist(expr: str, where: str = "") -> str:
    filtered = f" FILTER (WHERE {where})" if where else ""
    return f"sum(promptloop_hist_unit(promptloop_log_bucket({expr}))){filtered}"


class HourlySql:
    """Cell-hour aggregates for prompts that share one list of segment dimensions.

    The dimensions become literal keys (``e.segment ->> 'expertise'``), so one statement serves
    every prompt of the group and the planner sees plain per-row expressions.
    """

    def __init__(self, dimensions: Sequence[str], prompt_ids: Sequence[int], tag: str) -> None:
        self.prompt_ids = list(prompt_ids)
        keys = [f"CAST(:{tag}_k{i} AS text)" for i in range(len(dimensions))]
        self.params: dict[str, Any] = {f"{tag}_p": self.prompt_ids} | {
            f"{tag}_k{i}": d for i, d in enumerate(dimensions)
        }
        self._tag = tag
        # Grouped on as text (->>): hashing jsonb values costs ~4x more. The key keeps the JSON type
        # of the sample execution's values (1 and "1" share a cell; see the module docstring).
        self._extract = [f"e.segment ->> {key} AS s{i}" for i, key in enumerate(keys)]
        self._segment_key = f"jsonb_build_object({', '.join(f'{key}, x.segment -> {key}' for key in keys)})"

    def aggregate(self, source: str = "executions e", where: str = "true") -> str:
        """Finished rollup rows (in :data:`HOURLY_COLUMNS` order) for ``source`` rows matching ``where``."""
        keys = ["e.prompt_id", f"{HOUR} AS hour", "e.version_id", "coalesce(e.label, '') AS label",
                "coalesce(e.experiment, '') AS experiment", "coalesce(e.arm, '') AS arm", "e.section_set_hash",
                *self._extract]  # fmt: skip
        stats = (
            "count(*) AS executions, count(e.accuracy) AS accuracy_n, coalesce(sum(e.accuracy), 0) AS accuracy_sum, "
            "coalesce(sum(e.accuracy * e.accuracy), 0) AS accuracy_sum_sq, "
            "count(*) FILTER (WHERE e.corrected) AS corrections, count(*) FILTER (WHERE e.failed) AS failures, "
            "count(e.rating) AS rating_n, coalesce(sum(e.rating), 0) AS rating_sum, "
            "sum(e.prompt_tokens) AS prompt_tokens_sum, max(e.prompt_tokens) AS prompt_tokens_max, "
            "coalesce(sum(e.completion_tokens), 0) AS completion_tokens_sum, sum(e.latency_ms) AS latency_ms_sum, "
            f"{_hist('e.latency_ms')} AS lat, {_hist('e.prompt_tokens')} AS tok, "
            f"{_hist('e.prompt_tokens', f'e.accuracy >= {HIGH_ACCURACY!r}')} AS tok_high, min(e.id) AS sample_id"
        )
        n_keys = len(keys)
        inner = (
            f"SELECT {', '.join(keys)}, {stats} FROM {source} "
            f"WHERE e.prompt_id = ANY(CAST(:{self._tag}_p AS bigint[])) AND {where} "
            f"GROUP BY {', '.join(str(i) for i in range(1, n_keys + 1))}"
        )
        return (
            f"SELECT a.prompt_id, a.hour, {', '.join('a.' + c for c in _CELL)}, {self._segment_key} AS segment_key, "
            "x.section_ids, a.executions, a.accuracy_n, a.accuracy_sum, a.accuracy_sum_sq, a.corrections, a.failures, "
            "a.rating_n, a.rating_sum, a.prompt_tokens_sum, a.prompt_tokens_max, a.completion_tokens_sum, "
            "a.latency_ms_sum, promptloop_hist_unpack(a.lat) AS latency_hist, "
            "promptloop_hist_unpack(a.tok) AS prompt_tokens_hist, "
            "promptloop_hist_unpack(a.tok_high) AS prompt_tokens_hist_high "
            # OFFSET 0: one primary-key probe per row; flattened into a join, the planner (expecting
            # many more groups than there are) would hash the whole executions table instead.
            f"FROM ({inner}) a CROSS JOIN LATERAL (SELECT x.section_ids, x.segment FROM executions x "
            "WHERE x.id = a.sample_id OFFSET 0) x"
        )


def unit_aggregate(source: str = "executions e", where: str = "true") -> str:
    """Unit-day rows (in :data:`UNIT_COLUMNS` order) for ``source`` rows matching ``where``."""
    return (
        f"SELECT e.prompt_id, CAST({DAY} AT TIME ZONE 'UTC' AS date) AS day, e.unit_id, count(*) AS executions, "
        "count(e.accuracy) AS accuracy_n, coalesce(sum(e.accuracy), 0) AS accuracy_sum, "
        "coalesce(sum(e.accuracy * e.accuracy), 0) AS accuracy_sum_sq, "
        "count(*) FILTER (WHERE e.corrected) AS corrections, count(*) FILTER (WHERE e.failed) AS failures, "
        "sum(e.prompt_tokens) AS prompt_tokens_sum "
        f"FROM {source} WHERE e.unit_id IS NOT NULL AND {where} GROUP BY e.prompt_id, {DAY}, e.unit_id"
    )
