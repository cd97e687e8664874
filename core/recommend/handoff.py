"""The hand-off to governance: an accepted recommendation as a proposed new version.

:func:`proposed_change` returns the base version's content with the recommended policy or budget
applied (validated), plus the arguments ``core.governance.changes.propose_policy_change`` takes
(``policy``, ``token_budget``, ``reason``, ``evidence`` in governance's evidence format), so a change
request can be opened from it. Nothing is created here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from core.db.models.insights import Recommendation
from core.db.models.registry import PromptVersion
from core.errors import ConflictError, NotFoundError, ValidationError
from core.recommend.store import RecommendationView, get_recommendation
from core.registry.spec import SectionPolicy, VersionContent

PRODUCTION = "production"


@dataclass(frozen=True)
class ProposedChange:
    recommendation_id: int
    prompt: str
    label: str
    base_version: str
    content: VersionContent  # the proposed new version's content
    policy: SectionPolicy | None  # None: unchanged
    token_budget: int | None  # None: unchanged
    reason: str
    evidence: dict[str, Any]


def proposed_change(session: Session, *, recommendation_id: int) -> ProposedChange:
    view = get_recommendation(session, recommendation_id=recommendation_id)
    if view.status != "accepted":
        raise ConflictError(
            f"recommendation #{recommendation_id} is {view.status}; accept it before proposing the change"
        )
    row = session.get(Recommendation, recommendation_id)
    base = session.get(PromptVersion, row.base_version_id) if row else None
    if base is None:
        raise NotFoundError(f"the base version of recommendation #{recommendation_id} is gone")
    content = VersionContent.model_validate(base.content)
    policy, budget = _change(view, content)
    data = dict(base.content)
    if policy is not None:
        data["policy"] = policy.model_dump(mode="json")
        data["sections"] = [s for s in data["sections"] if s["id"] not in set(policy.banned)]
    if budget is not None:
        data["token_budget"] = budget
    try:
        proposed = VersionContent.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationError(f"recommendation #{recommendation_id} makes an invalid version: {exc}") from None
    return ProposedChange(
        recommendation_id=view.id,
        prompt=view.prompt,
        label=PRODUCTION,
        base_version=view.base_version,
        content=proposed,
        policy=policy,
        token_budget=budget,
        reason=f"recommendation #{view.id}: {view.title}",
        evidence=_evidence(view),
    )


def _change(view: RecommendationView, content: VersionContent) -> tuple[SectionPolicy | None, int | None]:
    payload = view.payload
    if view.kind == "token_budget":
        return None, int(payload["suggested"])
    policy = content.effective_policy()
    required, optional, banned = list(policy.required), list(policy.optional), list(policy.banned)
    if view.kind == "section_add":
        section = payload["section"]
        if section not in optional:
            raise ConflictError(f"section {section} is no longer optional in {view.base_version}")
        optional.remove(section)
        required.append(section)
    elif view.kind == "section_remove":
        section = payload["section"]
        guardrails = {s.id for s in content.sections if s.kind == "guardrail"}
        if section in guardrails:  # never: the gate refuses it too
            raise ConflictError(f"section {section} is a guardrail; it is never removed by a recommendation")
        required = [s for s in required if s != section]
        optional = [s for s in optional if s != section]
        banned.append(section)
    elif view.kind == "section_combination":
        wanted = set(payload["sections"])
        chosen = [s for s in optional if s in wanted]
        required += chosen
        banned += [s for s in optional if s not in wanted]
        optional = []
    else:  # pragma: no cover - the table's check constraint lists the kinds
        raise ValidationError(f"unknown recommendation kind {view.kind}")
    return SectionPolicy(required=required, optional=optional, banned=banned), None


def _evidence(view: RecommendationView) -> dict[str, Any]:
    """Governance's evidence document (``core.governance.evidence``)."""
    e = view.evidence
    figures = []
    if "effect" in e and e.get("effect") is not None:
        interval = e.get("interval", {})
        figures.append(
            {
                "name": f"accuracy effect of {e.get('section')}",
                "estimate": e["effect"],
                "lower": interval.get("lower"),
                "upper": interval.get("upper"),
                "level": interval.get("level"),
                "n": (e.get("n_included") or 0) + (e.get("n_excluded") or 0),
                "unit": "absolute",
            }
        )
    stats = None
    if view.kind == "token_budget" and e.get("p95_high_accuracy"):
        # not a test: the evidence is the p95's 95 % interval over enough well-scored calls
        p95 = e["p95_high_accuracy"]
        figures.append(
            {
                "name": "p95 of prompt tokens among high-accuracy calls",
                "estimate": p95["value"],
                "lower": p95["lower"],
                "upper": p95["upper"],
                "level": p95["level"],
                "n": p95["n"],
                "unit": "tokens",
            }
        )
        stats = {
            "min_group_size": int(e.get("high_accuracy_executions") or 0),
            "confidence": float(p95["level"]),
            "method": "order-statistic interval of the p95; the budget is judged against its bound",
        }
    elif view.confidence is not None:
        if "best" in e:
            smallest = min(e["best"]["executions"], e["most_used"]["executions"])
        else:
            smallest = min(e.get("n_included") or 0, e.get("n_excluded") or 0)
        stats = {
            "min_group_size": int(smallest),
            "confidence": view.confidence,
            "method": "post-stratified observational effect, Benjamini–Hochberg q-value (1 − q)",
        }
    return {
        "summary": view.title,
        "links": {"recommendation_ids": [view.id], "report_ids": [view.report_id]},
        "figures": figures,
        **({"stats": stats} if stats else {}),
        "observational": view.observational,
    }
