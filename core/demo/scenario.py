"""The demo scenario as data: five prompts of a voice assistant and a sales team, with planted conditions.

Every planted condition is documented, with its true size, in ``core/demo/PLANTED.md``; the
constants here are the single source of those sizes.
"""

from __future__ import annotations

from core.demo import specs
from core.demo.plan import (
    AppVersions,
    FailurePlan,
    GrowthPlan,
    MovePlan,
    OutagePlan,
    PopulationPlan,
    PromptPlan,
    SectionPlan,
    VersionPlan,
)

ACTOR = "demo-seeder@promptloop.local"

# --- planted sizes (PLANTED.md quotes these) --------------------------------------------------------
REGRESSION_DROP = 0.065  # 1: dimension_extraction 2.1.0 vs 2.0.0, accuracy of successful calls
REGRESSION_DAY = -9.0 + 10.5 / 24  # production moves to 2.1.0 at 10:30 UTC, nine days before the end
HELPFUL_EFFECT = 0.06  # 2: memory_recall_snippets on thought_to_intent
CONFOUNDED_INCLUSION = {"novice": 0.3, "intermediate": 0.5, "expert": 0.7}  # 3: user_profile_hints, no effect
OUTAGE = OutagePlan(  # 4: lead_enrichment_en, four days before the end, 09:00-15:00 UTC
    day=-4,
    start_hour=9,
    end_hour=15,
    failure_rate=0.40,
    accuracy_drop=0.05,
    error="UpstreamError: company registry API returned 504 Gateway Timeout after 30000 ms (lookup {domain})",
    latency_ms=30_000.0,
)
APP_RELEASE = AppVersions(old={"4.12.3": 0.8, "4.11.0": 0.2}, new="5.0.0", release_day=-7.0, final_adoption=0.70)
# 5: thought_to_intent; client 5.0.0 asks for absolute dates with an en-US locale
DATE_FORMAT_GROWTH = GrowthPlan(theme="date_format", baseline=0.01, per_adopter=0.08)
PLANNING_TOKEN_BUDGET = 4000  # 6: far above use (p95 of prompt tokens ~1100)

ASSISTANT = PopulationPlan(
    users=4000,
    expertise_share={"novice": 0.45, "intermediate": 0.35, "expert": 0.20},
    expertise_volume={"novice": 0.65, "intermediate": 1.0, "expert": 2.0},
    languages={"en": 0.62, "fr": 0.26, "de": 0.12},
    activity_sigma=1.1,
    weekday_factor=(1.0, 1.04, 1.05, 1.02, 0.94, 0.62, 0.55),
    hour_profile=(
        0.25,
        0.15,
        0.1,
        0.1,
        0.15,
        0.35,
        0.8,
        1.4,
        1.7,
        1.5,
        1.3,
        1.25,
        1.35,
        1.2,
        1.1,
        1.15,
        1.3,
        1.55,
        1.7,
        1.6,
        1.3,
        1.0,
        0.7,
        0.4,
    ),
    daily_growth=0.004,
    user_sd=0.015,
    app=APP_RELEASE,
)
SALES = PopulationPlan(  # sales reps own the leads; inbound leads are enriched around the clock
    users=160,
    expertise_share={"novice": 0.30, "intermediate": 0.45, "expert": 0.25},
    expertise_volume={"novice": 0.8, "intermediate": 1.0, "expert": 1.4},
    languages={"en": 0.6, "fr": 0.4},
    activity_sigma=0.8,
    weekday_factor=(1.0, 1.03, 1.03, 1.0, 0.95, 0.8, 0.75),
    hour_profile=(
        0.3,
        0.25,
        0.2,
        0.2,
        0.25,
        0.35,
        0.6,
        1.0,
        1.5,
        1.7,
        1.7,
        1.6,
        1.3,
        1.5,
        1.6,
        1.6,
        1.4,
        1.1,
        0.8,
        0.6,
        0.5,
        0.45,
        0.4,
        0.35,
    ),
    daily_growth=0.0,
    user_sd=0.01,
)
POPULATIONS = {"assistant": ASSISTANT, "sales": SALES}

_LLM_FAILURES = (
    FailurePlan("TimeoutError: {model} did not answer within 30 s (request {request})", 0.35, "timeout"),
    FailurePlan("RateLimitError: 429 Too Many Requests for {model}; retry after {seconds} s", 0.25, "fast"),
    FailurePlan("APIError: 503 Service Unavailable from the {model} endpoint (request {request})", 0.10, "fast"),
    FailurePlan("AuthenticationError: invalid API key {key} (rotate it in the provider console)", 0.02, "fast"),
)


def _parse_failures(expected: str) -> tuple[FailurePlan, ...]:
    return (*_LLM_FAILURES, FailurePlan(f"OutputParserError: expected {expected}, got free text", 0.28, "normal"))


_LEAD_FAILURES = (
    *_LLM_FAILURES,
    FailurePlan("OutputParserError: expected 4 fields separated by '|', got 3", 0.18, "normal"),
    FailurePlan("CRMError: no contact matches {email} in the account of {domain}", 0.10, "normal"),
)
_LEAD_THEMES = {
    "wrong_company": 0.3,
    "wrong_industry": 0.2,
    "wrong_size": 0.2,
    "wrong_location": 0.15,
    "outdated_name": 0.15,
}


def _acc(novice: float, intermediate: float, expert: float) -> dict[str, float]:
    return {"novice": novice, "intermediate": intermediate, "expert": expert}


def _shift(accuracy: dict[str, float], delta: float) -> dict[str, float]:
    return {level: round(value + delta, 4) for level, value in accuracy.items()}


_TTI_ACC = _acc(0.83, 0.89, 0.925)
THOUGHT_TO_INTENT = PromptPlan(
    name="thought_to_intent",
    code="tti",
    description="Voice assistant: turn one spoken thought into an actionable intent.",
    population="assistant",
    languages={"en": 0.0, "fr": -0.01, "de": -0.02},
    daily_volume=2600,
    sections=(
        SectionPlan("identity_role", 45),
        SectionPlan("task_context", 95),
        SectionPlan("memory_recall_snippets", 25, 190, inclusion=0.5, effect=HELPFUL_EFFECT),
        SectionPlan("recent_context", 20, 140, inclusion=0.35),
        SectionPlan("user_profile_hints", 25, 55, inclusion=CONFOUNDED_INCLUSION),
        SectionPlan("safety_guardrails", 110),
        SectionPlan("output_schema", 85),
    ),
    versions=(
        VersionPlan("1.0.0", specs.THOUGHT_TO_INTENT["1.0.0"], -75, _TTI_ACC, "gpt-4o-mini", notes="first version"),
        VersionPlan(
            "1.1.0",
            specs.THOUGHT_TO_INTENT["1.1.0"],
            -41,
            _TTI_ACC,
            "gpt-4o-mini",
            bump="minor",
            notes="optional user_profile_hints for clients that send them",
        ),
        VersionPlan(
            "1.2.0",
            specs.THOUGHT_TO_INTENT["1.2.0"],
            -7.2,
            _TTI_ACC,
            "gpt-4o-mini",
            bump="minor",
            notes="keep the user's own words in the subject",
        ),
    ),
    moves=(
        MovePlan("production", "1.0.0", -74, "initial release"),
        MovePlan("staging", "1.0.0", -74, "initial release"),
        MovePlan("staging", "1.1.0", -40, "try user_profile_hints"),
        MovePlan("production", "1.1.0", -37, "no difference on staging; profile hints for clients that send them"),
        MovePlan("staging", "1.2.0", -6 + 14 / 24, "QA the subject wording"),
    ),
    segment_dimensions=("expertise", "language"),
    themes={"misunderstood": 0.45, "wrong_intent": 0.30, "wrong_time": 0.15, "misheard_name": 0.10},
    failure_rate=0.012,
    failures=_parse_failures("'<intent>: <subject> | <when>'"),
    input_tokens=38,
    completion_tokens=22,
    rating_rate=0.06,
    growth=DATE_FORMAT_GROWTH,
    extra_segment={"channel": {"voice": 0.85, "typed": 0.15}},
)

_DIM_ACC = _acc(0.88, 0.92, 0.95)
DIMENSION_EXTRACTION = PromptPlan(
    name="dimension_extraction",
    code="dim",
    description="Voice assistant: extract an item's dimensions (cm / kg) from a description.",
    population="assistant",
    languages={"en": 0.0, "fr": -0.005, "de": -0.01},
    daily_volume=750,
    sections=(
        SectionPlan("identity_role", 40),
        SectionPlan("schema_definition", 160),
        SectionPlan("unit_normalisation", 110),
        SectionPlan("examples_catalog", 220, inclusion=0.6),
        SectionPlan("safety_guardrails", 60),
    ),
    versions=(
        VersionPlan(
            "1.0.0",
            specs.DIMENSION_EXTRACTION["1.0.0"],
            -91,
            _shift(_DIM_ACC, -0.03),
            "gpt-4o-mini",
            notes="first version (JSON output)",
        ),
        VersionPlan(
            "2.0.0",
            specs.DIMENSION_EXTRACTION["2.0.0"],
            -52,
            _DIM_ACC,
            "gpt-4o-mini",
            bump="major",
            notes="compact one-line output; normalise units to cm / kg",
        ),
        VersionPlan(
            "2.1.0",
            specs.DIMENSION_EXTRACTION["2.1.0"],
            -17.3,
            _shift(_DIM_ACC, -REGRESSION_DROP),
            "gpt-4o-mini",
            bump="minor",
            theme_weights={
                "unit_not_normalised": 0.45,
                "swapped_dimensions": 0.14,
                "missing_dimension": 0.14,
                "misheard_number": 0.10,
                "wrong_object": 0.17,
            },
            notes="drop unit_normalisation (~110 tokens per call): the schema already says cm",
        ),
    ),
    moves=(
        MovePlan("production", "1.0.0", -90, "initial release"),
        MovePlan("staging", "1.0.0", -90, "initial release"),
        MovePlan("staging", "2.0.0", -50, "compact output for the new UI"),
        MovePlan("production", "2.0.0", -45, "compact output for the new UI"),
        MovePlan("staging", "2.1.0", -16 + 9 / 24, "shorter prompt, same schema"),
        MovePlan("production", "2.1.0", REGRESSION_DAY, "saves ~110 tokens per call; looked fine on staging"),
    ),
    segment_dimensions=("expertise", "language"),
    themes={
        "unit_not_normalised": 0.20,
        "swapped_dimensions": 0.20,
        "missing_dimension": 0.20,
        "misheard_number": 0.15,
        "wrong_object": 0.25,
    },
    failure_rate=0.010,
    failures=_parse_failures("'<w>x<h>[x<d>] <unit>'"),
    input_tokens=55,
    completion_tokens=9,
    rating_rate=0.03,
)

_PLAN_ACC = _acc(0.91, 0.94, 0.96)
PLANNING = PromptPlan(
    name="planning",
    code="plan",
    description="Voice assistant: break a goal into the next three steps with due dates.",
    population="assistant",
    languages={"en": 0.0, "fr": -0.005, "de": -0.005},
    daily_volume=650,
    sections=(
        SectionPlan("identity_role", 70),
        SectionPlan("planning_method", 170),
        SectionPlan("constraints", 120),
        SectionPlan("calendar_context", 40, 180, inclusion=0.65),
        SectionPlan("output_format", 95),
        SectionPlan("safety_guardrails", 120),
    ),
    versions=(
        VersionPlan("1.0.0", specs.PLANNING["1.0.0"], -60, _PLAN_ACC, "gpt-4o", notes="first version"),
        VersionPlan(
            "1.1.0",
            specs.PLANNING["1.1.0"],
            -21.4,
            _shift(_PLAN_ACC, 0.01),
            "gpt-4o",
            bump="minor",
            notes="tighter output format",
        ),
    ),
    moves=(
        MovePlan("production", "1.0.0", -58, "initial release"),
        MovePlan("staging", "1.0.0", -58, "initial release"),
        MovePlan("staging", "1.1.0", -20 + 11 / 24, "shorter steps"),
        MovePlan("production", "1.1.0", -14 + 9.5 / 24, "shorter steps, slightly fewer corrections on staging"),
    ),
    segment_dimensions=("expertise", "language"),
    themes={"off_goal": 0.35, "missing_step": 0.30, "wrong_order": 0.25, "tight_deadline": 0.10},
    failure_rate=0.020,
    failures=_parse_failures("'1) <step> [<date>]; ...'"),
    input_tokens=85,
    completion_tokens=95,
    rating_rate=0.08,
)

_EN_ACC = _acc(0.915, 0.935, 0.955)
LEAD_ENRICHMENT_EN = PromptPlan(
    name="lead_enrichment_en",
    code="leaden",
    description="Sales: enrich an inbound lead (English-speaking markets) with firmographics.",
    population="sales",
    languages={"en": 0.0},
    daily_volume=600,
    sections=(
        SectionPlan("identity_role", 60),
        SectionPlan("enrichment_fields", 180),
        SectionPlan("firmographic_rules", 120),
        SectionPlan("source_citation", 90, inclusion=0.5),
        SectionPlan("company_lookup_hints", 40, 120, inclusion=0.4),
        SectionPlan("compliance_guardrails", 150),
    ),
    versions=(
        VersionPlan(
            "1.0.0",
            specs.LEAD_ENRICHMENT_EN["1.0.0"],
            -81,
            _shift(_EN_ACC, -0.02),
            "claude-3-5-haiku",
            notes="first version",
        ),
        VersionPlan(
            "1.1.0",
            specs.LEAD_ENRICHMENT_EN["1.1.0"],
            -43,
            _EN_ACC,
            "claude-3-5-haiku",
            bump="minor",
            notes="explicit headcount bands",
        ),
        VersionPlan(
            "1.2.0",
            specs.LEAD_ENRICHMENT_EN["1.2.0"],
            -3.5,
            _EN_ACC,
            "claude-3-5-haiku",
            bump="minor",
            notes="headcount from the latest filing",
        ),
    ),
    moves=(
        MovePlan("production", "1.0.0", -80, "initial release"),
        MovePlan("staging", "1.0.0", -80, "initial release"),
        MovePlan("staging", "1.1.0", -42, "headcount bands"),
        MovePlan("production", "1.1.0", -38, "headcount bands"),
        MovePlan("staging", "1.2.0", -3 + 10 / 24, "QA headcount wording"),
    ),
    segment_dimensions=("expertise",),
    themes=_LEAD_THEMES,
    failure_rate=0.015,
    failures=_LEAD_FAILURES,
    input_tokens=70,
    completion_tokens=45,
    score_rate=0.3,
    outage=OUTAGE,
    extra_segment={"crm": {"salesforce": 0.6, "hubspot": 0.4}},
)

_FR_ACC = _acc(0.925, 0.945, 0.96)
LEAD_ENRICHMENT_FR = PromptPlan(
    name="lead_enrichment_fr",
    code="leadfr",
    description="Sales: enrich an inbound lead (French-speaking markets) with firmographics. No planted problem.",
    population="sales",
    languages={"fr": 0.0},
    daily_volume=400,
    sections=(
        SectionPlan("identity_role", 55),
        SectionPlan("enrichment_fields", 190),
        SectionPlan("firmographic_rules", 130),
        SectionPlan("source_citation", 100, inclusion=0.5),
        SectionPlan("compliance_guardrails", 165),
    ),
    versions=(
        VersionPlan(
            "1.0.0", specs.LEAD_ENRICHMENT_FR["1.0.0"], -81, _FR_ACC, "claude-3-5-haiku", notes="première version"
        ),
        VersionPlan(
            "1.1.0",
            specs.LEAD_ENRICHMENT_FR["1.1.0"],
            -24.3,
            _shift(_FR_ACC, 0.005),
            "claude-3-5-haiku",
            bump="minor",
            notes="tranches d'effectif explicites",
        ),
    ),
    moves=(
        MovePlan("production", "1.0.0", -80, "initial release"),
        MovePlan("staging", "1.0.0", -80, "initial release"),
        MovePlan("staging", "1.1.0", -22 + 10 / 24, "explicit headcount bands"),
        MovePlan("production", "1.1.0", -18 + 9 / 24, "explicit headcount bands; better on staging"),
    ),
    segment_dimensions=("expertise",),
    themes=_LEAD_THEMES,
    failure_rate=0.015,
    failures=_LEAD_FAILURES,
    input_tokens=70,
    completion_tokens=48,
    score_rate=0.3,
    extra_segment={"crm": {"salesforce": 0.5, "hubspot": 0.5}},
)

PROMPTS: tuple[PromptPlan, ...] = (
    THOUGHT_TO_INTENT,
    DIMENSION_EXTRACTION,
    PLANNING,
    LEAD_ENRICHMENT_EN,
    LEAD_ENRICHMENT_FR,
)
