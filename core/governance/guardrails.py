"""Guardrail rules of governance: pure functions over version contents, evidence and rules.

1. Automation (a flow principal) never proposes a change that removes, demotes or rewrites a
   ``guardrail`` section of the version the label currently points at.
2. A person may propose such a change, but approving it (or applying it at once) needs an admin
   and a written reason (the approval comment, or the request's reason for an immediate apply).
3. Automated proposals need statistical evidence: at least ``min_sample_size`` executions in every
   compared group and at least ``min_confidence`` confidence; below that they stay recommendations.
4. Auto-apply is off unless an admin enables it for a prompt, and then only for low-risk classes:

   * ``rollback`` — moving a label back to a version it pointed at before;
   * ``token_budget`` — a change whose only difference is the token budget.

   and only for automated proposals that passed rule 3 (so statistical evidence is attached).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from core.governance.evidence import Evidence
from core.governance.rules import GovernanceRules
from core.registry.diff import diff_contents

LOW_RISK_CLASSES: Final[tuple[str, ...]] = ("rollback", "token_budget")


@dataclass(frozen=True)
class GuardrailFindings:
    """What a candidate does to the guardrail sections of the current version."""

    removed: tuple[str, ...] = ()
    demoted: tuple[str, ...] = ()  # still present, but no longer of kind guardrail
    rewritten: tuple[str, ...] = ()  # still a guardrail, with different text

    @property
    def weakens(self) -> bool:
        """Removes or demotes a guardrail section (what only an admin may approve)."""
        return bool(self.removed or self.demoted)

    @property
    def touches(self) -> bool:
        return bool(self.removed or self.demoted or self.rewritten)

    def as_dict(self) -> dict[str, list[str]]:
        return {"removed": list(self.removed), "demoted": list(self.demoted), "rewritten": list(self.rewritten)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Iterable[str]] | None) -> GuardrailFindings:
        data = data or {}
        return cls(
            removed=tuple(data.get("removed", ())),
            demoted=tuple(data.get("demoted", ())),
            rewritten=tuple(data.get("rewritten", ())),
        )


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    code: str  # "ok" or the rule that refused
    reason: str


ALLOWED: Final = Verdict(True, "ok", "")


def guardrail_changes(current: Mapping[str, Any] | None, candidate: Mapping[str, Any]) -> GuardrailFindings:
    """Compare canonical contents (``PromptVersion.content``); ``current`` None means no version yet."""
    if current is None:
        return GuardrailFindings()
    after = {s["id"]: s for s in candidate["sections"]}
    removed, demoted, rewritten = [], [], []
    for section in current["sections"]:
        if section["kind"] != "guardrail":
            continue
        new = after.get(section["id"])
        if new is None:
            removed.append(section["id"])
        elif new["kind"] != "guardrail":
            demoted.append(section["id"])
        elif new["text"] != section["text"]:
            rewritten.append(section["id"])
    return GuardrailFindings(tuple(removed), tuple(demoted), tuple(rewritten))


def risk_class(kind: str, current: Mapping[str, Any] | None, candidate: Mapping[str, Any] | None) -> str | None:
    """The low-risk class of a change, or None when it is not low-risk."""
    if kind == "rollback":
        return "rollback"
    if kind in ("promote_version", "policy_change") and current is not None and candidate is not None:
        diff = diff_contents(dict(current), dict(candidate))
        only_budget = [c.field for c in diff.fields] == ["token_budget"]
        if only_budget and not (diff.added or diff.removed or diff.reordered or diff.changed or diff.policy):
            return "token_budget"
    return None


def check_automated_proposal(*, findings: GuardrailFindings, evidence: Evidence, rules: GovernanceRules) -> Verdict:
    """Rules 1 and 3 for a proposal made by automation."""
    for code, names, verb in (
        ("removes_guardrail", findings.removed, "remove"),
        ("demotes_guardrail", findings.demoted, "demote"),
        ("rewrites_guardrail", findings.rewritten, "rewrite"),
    ):
        if names:
            return Verdict(
                False,
                code,
                f"automation may not {verb} guardrail section(s) {', '.join(names)}; "
                "a person must propose it and an admin approve it with a reason",
            )
    stats = evidence.stats
    if stats is None:
        return Verdict(
            False,
            "no_statistical_evidence",
            "automated proposals need statistical evidence (evidence.stats with min_group_size and "
            "confidence); it stays a recommendation",
        )
    if stats.min_group_size < rules.min_sample_size:
        return Verdict(
            False,
            "too_few_samples",
            f"the smallest group has {stats.min_group_size} executions, automation needs at least "
            f"{rules.min_sample_size}; it stays a recommendation until more data arrives",
        )
    if stats.confidence < rules.min_confidence:
        return Verdict(
            False,
            "low_confidence",
            f"confidence {stats.confidence:.2f} is below the {rules.min_confidence:.2f} automation needs; "
            "it stays a recommendation",
        )
    return ALLOWED


def check_auto_apply(*, risk: str | None, enabled: Iterable[str], automated_verdict: Verdict) -> Verdict:
    """Rule 4: may an (already allowed) automated proposal be applied without review?"""
    enabled_set = set(enabled)
    if not enabled_set:
        return Verdict(False, "auto_apply_off", "auto-apply is off for this prompt")
    if risk is None or risk not in LOW_RISK_CLASSES:
        return Verdict(False, "not_low_risk", "only rollbacks and token-budget changes may be auto-applied")
    if risk not in enabled_set:
        return Verdict(False, "class_not_enabled", f"auto-apply is not enabled for {risk} changes of this prompt")
    if not automated_verdict.allowed:
        return automated_verdict
    return ALLOWED
