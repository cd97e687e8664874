"""Turn a prompt's traffic columns into records in the ingestion format (core/tracking/records.py).

Ids: ``demo-<run tag>-<prompt code>-<n>`` for executions (n in time order) and
``<execution id>.<ok|fail|fix|rating|score>`` for outcomes, so replaying the same run is a no-op.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from core.demo.calendar import MS_PER_HOUR
from core.demo.population import mix64

if TYPE_CHECKING:
    from core.demo.generator import PromptTraffic

SESSION_MS = 3 * MS_PER_HOUR  # a user's calls within the same three-hour block share a session
Record = dict[str, object]


def iso_times(traffic: PromptTraffic, offset_ms: NDArray[np.int64]) -> list[str]:
    start = np.datetime64(traffic.window.start.isoformat(), "ms")
    stamps = start + offset_ms.astype("timedelta64[ms]")
    return [str(s) for s in np.datetime_as_string(stamps, unit="ms", timezone="UTC")]


def _section_lists(traffic: PromptTraffic) -> list[list[str]]:
    calls, plan = traffic.calls, traffic.plan
    bits = calls.included.astype(np.int64) @ (1 << np.arange(len(plan.sections), dtype=np.int64))
    keys = calls.version * (1 << len(plan.sections)) + bits
    lists: dict[int, tuple[str, ...]] = {}
    for key in np.unique(keys).tolist():
        version, mask = divmod(int(key), 1 << len(plan.sections))
        wanted = {s.id for j, s in enumerate(plan.sections) if mask >> j & 1}
        lists[key] = tuple(s for s in traffic.versions[version].sections if s in wanted)
    return [list(lists[k]) for k in keys.tolist()]


def _sessions(traffic: PromptTraffic) -> list[str]:
    calls = traffic.calls
    block = (calls.offset_ms // SESSION_MS).astype(np.uint64)
    keys = mix64(traffic.users.keys[calls.user] ^ (block * np.uint64(0x2545F4914F6CDD1D)))
    return [f"s-{int(k) >> 16:012x}" for k in keys]


def execution_ids(traffic: PromptTraffic) -> list[str]:
    return [f"{traffic.id_prefix}-{i:06d}" for i in range(traffic.calls.size)]


def execution_records(traffic: PromptTraffic) -> list[Record]:
    calls, c = traffic.calls, traffic.cost
    versions = [v.version for v in traffic.versions]
    models = [v.model for v in traffic.versions]
    segment_keys = list(calls.segment)
    segments = zip(*(calls.segment[k].tolist() for k in segment_keys), strict=True)
    columns = zip(
        execution_ids(traffic),
        calls.version.tolist(),
        calls.label.tolist(),
        _section_lists(traffic),
        c.prompt_tokens.tolist(),
        c.completion_tokens.tolist(),
        c.latency_ms.tolist(),
        traffic.users.ids[calls.user].tolist(),
        _sessions(traffic),
        segments,
        iso_times(traffic, calls.offset_ms),
        strict=True,
    )
    return [
        {
            "type": "execution",
            "id": rid,
            "prompt": traffic.plan.name,
            "version": versions[v],
            "label": label,
            "sections": sections,
            "prompt_tokens": pt,
            "completion_tokens": ct if ct >= 0 else None,
            "latency_ms": lat,
            "model": models[v],
            "unit_id": unit,
            "session_id": session,
            "segment": dict(zip(segment_keys, seg, strict=True)),
            "occurred_at": at,
        }
        for rid, v, label, sections, pt, ct, lat, unit, session, seg, at in columns
    ]


def outcome_records(traffic: PromptTraffic) -> list[Record]:
    d, times = traffic.decisions, traffic.times
    ids = execution_ids(traffic)
    stamps = {name: iso_times(traffic, values) for name, values in times.items()}
    out: list[Record] = []
    for i, rid in enumerate(ids):
        if d.failed[i]:
            out.append(_outcome(rid, "fail", "EXECUTION_FAILURE", stamps["status"][i], error=traffic.errors[i]))
        else:
            out.append(_outcome(rid, "ok", "EXECUTION_SUCCESS", stamps["status"][i]))
        if d.corrected[i]:
            out.append(
                _outcome(
                    rid,
                    "fix",
                    "USER_CORRECTION",
                    stamps["correction"][i],
                    original=traffic.original[i],
                    corrected=traffic.corrected[i],
                )
            )
        if d.rating[i]:
            out.append(_outcome(rid, "rating", "USER_RATING", stamps["rating"][i], rating=int(d.rating[i])))
        if d.scored[i]:
            out.append(_outcome(rid, "score", "QUALITY_SCORE", stamps["score"][i], score=float(traffic.scores[i])))
    return out


def _outcome(execution_id: str, suffix: str, kind: str, at: str, **fields: object) -> Record:
    return {
        "type": "outcome",
        "id": f"{execution_id}.{suffix}",
        "execution_id": execution_id,
        "kind": kind,
        "occurred_at": at,
        **fields,
    }
