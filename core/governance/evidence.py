"""The evidence a change request carries, as a documented, validated JSON document.

What a proposer passes (every field optional, unknown keys are kept for the reviewer)::

    {
      "summary": "Dropping memory_recall_snippets raised accuracy by 3.1 points",
      "links": {"insight_ids": [12], "recommendation_ids": [7], "report_ids": [3], "experiment_ids": []},
      "figures": [                        # what the reviewer sees, each with its interval
        {"name": "accuracy", "estimate": 0.031, "lower": 0.012, "upper": 0.050, "level": 0.95,
         "n": 2400, "unit": "absolute"}
      ],
      "stats": {                          # what automation is gated on (core.governance.guardrails)
        "min_group_size": 1150,           # executions in the smallest compared group
        "confidence": 0.97,               # confidence in the effect in [0, 1], e.g. 1 − q-value
        "method": "cuped welch, BH q-value"
      }
    }

What governance adds when the request is made (never taken from the proposer)::

    "diff": {"from_version": "1.2.0", "to_version": "1.3.0", "summary": [...], "unified": "..."},
    "guardrails": {"removed": [...], "demoted": [...], "rewritten": [...]},
    "risk_class": "token_budget" | "rollback" | null
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from core.errors import ValidationError
from core.registry import diff as diffs

GOVERNANCE_KEYS = ("diff", "guardrails", "risk_class")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Links(_Open):
    insight_ids: list[int | str] = Field(default_factory=list)
    recommendation_ids: list[int | str] = Field(default_factory=list)
    report_ids: list[int | str] = Field(default_factory=list)
    experiment_ids: list[int | str] = Field(default_factory=list)


class Figure(_Open):
    name: str = Field(min_length=1)
    estimate: float
    lower: float | None = None
    upper: float | None = None
    level: float | None = Field(default=None, gt=0, lt=1)
    n: int | None = Field(default=None, ge=0)
    unit: str = ""


class StatisticalEvidence(_Open):
    min_group_size: int = Field(ge=0, description="Executions in the smallest compared group.")
    confidence: float = Field(ge=0, le=1, description="Confidence in the effect, e.g. 1 − q-value.")
    method: str = ""


class Evidence(_Open):
    summary: str = ""
    links: Links = Field(default_factory=Links)
    figures: list[Figure] = Field(default_factory=list)
    stats: StatisticalEvidence | None = None


def parse_evidence(raw: Evidence | dict[str, Any] | None) -> Evidence:
    if raw is None:
        return Evidence()
    if isinstance(raw, Evidence):
        return raw
    reserved = sorted(set(raw) & set(GOVERNANCE_KEYS))
    if reserved:
        raise ValidationError(f"evidence keys {', '.join(reserved)} are filled in by governance; leave them out")
    try:
        return Evidence.model_validate(raw)
    except PydanticValidationError as exc:
        detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValidationError(f"invalid evidence: {detail}") from None


def diff_evidence(
    before: dict[str, Any] | None, after: dict[str, Any], *, prompt: str, from_version: str | None, to_version: str
) -> dict[str, Any]:
    """Section-aware summary and unified diff from the label's current version to the target."""
    if before is None:
        return {
            "from_version": None,
            "to_version": to_version,
            "summary": ["new label"],
            "unified": "\n".join(diffs.canonical_text(after)),
        }
    return {
        "from_version": from_version,
        "to_version": to_version,
        "summary": diffs.diff_contents(before, after).summary(),
        "unified": diffs.unified_diff(
            before, after, name_before=f"{prompt}@{from_version}", name_after=f"{prompt}@{to_version}"
        ),
    }
