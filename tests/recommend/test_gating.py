"""Which weekly findings become recommendations (pure): BH across the run, floors, guardrails, applicability."""

from __future__ import annotations

from core.recommend.analysis import Floors
from core.recommend.gating import OBSERVATIONAL, gate
from tests.recommend.factories import analysis, budget, combination, section


def test_a_helpful_optional_section_is_recommended_for_addition() -> None:
    gated = gate([analysis(sections=(section("memory", "optional", 0.06, 1e-12),))])
    [proposal] = gated.proposals
    assert (proposal.kind, proposal.key) == ("section_add", "section:memory")
    assert proposal.payload == {"section": "memory", "action": "add", "from": "optional", "to": "required",
                                "version": "1.0.0"}  # fmt: skip
    assert proposal.observational
    assert proposal.evidence["label"] == OBSERVATIONAL
    assert proposal.confidence == 1 - proposal.q_value  # type: ignore[operator]
    assert proposal.evidence["n_included"] == proposal.evidence["n_excluded"] == 1000


def test_benjamini_hochberg_runs_across_every_prompt_of_the_run() -> None:
    lone = analysis("a", sections=(section("s", "optional", 0.02, 0.01),))
    assert [p.key for p in gate([lone]).proposals] == ["section:s"]  # q = 0.01
    nulls = tuple(section(f"n{i}", "optional", 0.001, 0.5 + i / 100) for i in range(30))
    crowded = gate([lone, analysis("b", sections=nulls)])
    assert crowded.proposals == []  # q = 0.01 · 31 = 0.31 > the 0.05 false discovery rate
    assert abs(crowded.section_q[("a", "s")] - 0.31) < 1e-9
    [why] = [c for c in crowded.considered if c.subject == "s"]
    assert why.reason == "q-value 0.310 above the false discovery rate 0.05"


def test_a_q_value_between_the_fdr_and_the_confidence_floor_is_not_enough() -> None:
    # q = 0.12: confidence 0.88 clears the 0.8 floor, but the run's FDR is 0.05
    borderline = analysis(sections=(section("hint", "optional", 0.01, 0.12),))
    gated = gate([borderline])
    assert gated.proposals == []
    assert gated.considered[0].reason == "q-value 0.120 above the false discovery rate 0.05"
    relaxed = analysis(floors=Floors(100, 0.8, max_q=0.2), sections=(section("hint", "optional", 0.01, 0.12),))
    assert [p.key for p in gate([relaxed]).proposals] == ["section:hint"]


def test_floors_on_group_size_and_confidence() -> None:
    small = analysis(sections=(section("s", "optional", 0.05, 1e-9, n=5000, n_excluded=99),))
    assert gate([small]).proposals == []
    assert gate([small]).considered[0].reason == "fewer than 100 executions in a group"
    strict = analysis(floors=Floors(100, 0.999, 1.0), sections=(section("s", "optional", 0.05, 0.01),))
    assert gate([strict]).proposals == []
    assert gate([strict]).considered[0].reason == "confidence 0.99 below the floor 0.999"
    loose = analysis(floors=Floors(10, 0.5, 0.5), sections=(section("s", "optional", 0.05, 0.3, n=20),))
    assert [p.key for p in gate([loose]).proposals] == ["section:s"]


def test_guardrail_sections_are_never_recommended_for_removal() -> None:
    gated = gate([analysis(sections=(section("safety", "guardrail", -0.2, 1e-30),))])
    assert gated.proposals == []
    assert gated.considered[0].reason == "guardrail section: never recommended for removal"


def test_remove_add_and_what_is_not_applicable() -> None:
    tests = (
        section("chatter", "optional", -0.03, 1e-6),  # hurts: ban it
        section("role", "required", 0.03, 1e-6),  # helps but already required: nothing to do
        section("gone", None, -0.03, 1e-6),  # no longer in the serving version
        section("flat", "optional", 0.0004, 0.9),
    )
    gated = gate([analysis(sections=tests)])
    assert [(p.kind, p.payload["section"], p.payload["to"]) for p in gated.proposals] == [
        ("section_remove", "chatter", "banned")
    ]
    reasons = {c.subject: c.reason for c in gated.considered}
    assert reasons["role"] == "helps, but is already required in the serving version"
    assert reasons["gone"] == "hurts, but is no longer in the serving version"
    assert reasons["flat"] == "q-value 0.900 above the false discovery rate 0.05"


def test_token_budget_changes_need_enough_calls_and_a_real_gap() -> None:
    oversized = gate([analysis(**budget(4000, 1400, 1150))]).proposals
    assert [(p.kind, p.payload["suggested"], p.q_value) for p in oversized] == [("token_budget", 1400, None)]
    assert not oversized[0].observational
    assert gate([analysis(**budget(1400, 1400, 1150))]).proposals == []  # it fits
    too_small = gate([analysis(**budget(1000, 1400, 1150))]).proposals  # the p95 is above the budget
    assert [p.payload["suggested"] for p in too_small] == [1400]
    few = gate([analysis(**budget(4000, 1400, 1150, n_high=50))])
    assert few.proposals == []
    assert few.considered[0].reason == "fewer than 100 high-accuracy calls"


def test_a_combination_is_recommended_only_through_sections_with_their_own_evidence() -> None:
    best, used = combination(("memory", "role"), 0.93), combination(("role",), 0.87)
    proven = analysis(sections=(section("memory", "optional", 0.06, 1e-12),), combinations=(best, used), most_used=used)
    kinds = [p.kind for p in gate([proven]).proposals]
    assert kinds == ["section_add", "section_combination"]
    hint = combination(("hints", "role"), 0.93)
    unproven = analysis(sections=(section("hints", "optional", 0.001, 0.8),), combinations=(hint, used), most_used=used)
    gated = gate([unproven])
    assert gated.proposals == []
    assert [c.reason for c in gated.considered if c.subject == "section_combination"] == [
        "differs by sections without their own evidence: hints"
    ]
