"""Version specs of the demo prompts, as data (the format of core/registry/spec.py).

Later versions are built from earlier ones by small, named edits, so the registry's diffs show
exactly what changed: a section added, removed or reworded.
"""

from __future__ import annotations

import copy
from typing import Any

Spec = dict[str, Any]


def _section(section_id: str, text: str, kind: str = "required") -> dict[str, str]:
    return {"id": section_id, "kind": kind, "text": text}


def _with(spec: Spec, **changes: Any) -> Spec:
    out = copy.deepcopy(spec)
    out.update(copy.deepcopy(changes))
    return out


def _insert_after(spec: Spec, after: str, section: dict[str, str]) -> Spec:
    out = copy.deepcopy(spec)
    index = next(i for i, s in enumerate(out["sections"]) if s["id"] == after)
    out["sections"].insert(index + 1, section)
    return out


def _drop(spec: Spec, section_id: str) -> Spec:
    out = copy.deepcopy(spec)
    out["sections"] = [s for s in out["sections"] if s["id"] != section_id]
    if "policy" in out:
        for group in ("required", "optional"):
            out["policy"][group] = [s for s in out["policy"][group] if s != section_id]
    return out


def _reword(spec: Spec, section_id: str, text: str) -> Spec:
    out = copy.deepcopy(spec)
    for section in out["sections"]:
        if section["id"] == section_id:
            section["text"] = text
    return out


def _policy(spec: Spec, *, optional: list[str], banned: list[str] | None = None) -> Spec:
    out = copy.deepcopy(spec)
    ids = [s["id"] for s in out["sections"]]
    out["policy"] = {"required": [i for i in ids if i not in optional], "optional": optional, "banned": banned or []}
    return out


# --- thought_to_intent ------------------------------------------------------------------------------------

_TTI_1 = _policy(
    {
        "variables": [
            "transcript",
            {"name": "locale", "required": False, "default": "en"},
            {"name": "memory_snippets", "required": False, "default": ""},
            {"name": "recent_turns", "required": False, "default": ""},
            {"name": "profile_hints", "required": False, "default": ""},
        ],
        "sections": [
            _section(
                "identity_role",
                "You are the intent engine of a voice assistant. You turn one spoken "
                "thought into exactly one actionable intent.",
            ),
            _section(
                "task_context",
                "The user speaks {{ locale }}. Transcripts come from speech recognition and "
                "contain filler words, false starts and homophones: resolve them from context before "
                "choosing an intent.",
            ),
            _section(
                "memory_recall_snippets",
                "Things the user told you before, most relevant first:\n{{ memory_snippets }}",
                "optional",
            ),
            _section("recent_context", "The last turns of this conversation:\n{{ recent_turns }}", "optional"),
            _section(
                "safety_guardrails",
                "Never invent contacts, amounts or dates the user did not say. Refuse "
                "(intent 'refuse') anything meant to harm, harass or deceive someone. Do not repeat third "
                "parties' personal data beyond what the user said.",
                "guardrail",
            ),
            _section(
                "output_schema",
                "Answer with one line: <intent>: <subject> | <when>. intent is one of "
                "reminder, calendar_event, task, note, message, shopping_list, timer, refuse; when is the day "
                "and time as the user said it, or 'unspecified'.",
            ),
        ],
        "instructions": "Thought: {{ transcript }}",
        "token_budget": 1200,
        "model": {"name": "gpt-4o-mini", "temperature": 0.1, "max_tokens": 120},
    },
    optional=["memory_recall_snippets", "recent_context"],
    banned=["chit_chat"],
)
_TTI_11 = _policy(
    _insert_after(
        _TTI_1,
        "recent_context",
        _section(
            "user_profile_hints", "How this user usually talks (from their settings):\n{{ profile_hints }}", "optional"
        ),
    ),
    optional=["memory_recall_snippets", "recent_context", "user_profile_hints"],
    banned=["chit_chat"],
)
_TTI_12 = _reword(
    _TTI_11,
    "task_context",
    "The user speaks {{ locale }}. Transcripts come from speech "
    "recognition and contain filler words, false starts and homophones: resolve them from context "
    "before choosing an intent. Prefer the user's own words for the subject.",
)

THOUGHT_TO_INTENT = {"1.0.0": _TTI_1, "1.1.0": _TTI_11, "1.2.0": _TTI_12}

# --- dimension_extraction ---------------------------------------------------------------------------------

_DIM_1 = {
    "variables": ["description"],
    "sections": [
        _section(
            "identity_role", "You extract the physical dimensions of one item from a spoken or written description."
        ),
        _section(
            "schema_definition",
            'Answer as JSON: {"width": number, "height": number, "depth": '
            'number, "unit": string}. Use null for a dimension that is not given.',
        ),
        _section(
            "examples_catalog",
            "Typical items and their usual size ranges: sofas 180-240 cm wide, desks "
            "120-180 cm, wardrobes 180-220 cm high, parcels up to 120 cm.",
            "optional",
        ),
        _section(
            "safety_guardrails",
            "Only report dimensions stated in the description; never guess a missing one.",
            "guardrail",
        ),
    ],
    "instructions": "Description: {{ description }}",
    "token_budget": 900,
    "model": {"name": "gpt-4o-mini", "temperature": 0.0, "max_tokens": 60},
}
_DIM_2 = _insert_after(
    _reword(
        _DIM_1,
        "schema_definition",
        "Answer with one line: <width>x<height>[x<depth>] <unit>, e.g. 120x80x45 cm, or <n> kg for a weight.",
    ),
    "schema_definition",
    _section(
        "unit_normalisation",
        "Convert every measurement to centimetres (lengths) or kilograms (weights) "
        "before answering: inches x 2.54, feet x 30.48, pounds x 0.4536; round to whole units.",
    ),
)
_DIM_21 = _drop(_DIM_2, "unit_normalisation")

DIMENSION_EXTRACTION = {"1.0.0": _DIM_1, "2.0.0": _DIM_2, "2.1.0": _DIM_21}

# --- planning ---------------------------------------------------------------------------------------------

_PLAN_1 = {
    "variables": [
        "goal",
        "today",
        {"name": "locale", "required": False, "default": "en-GB"},
        {"name": "calendar", "required": False, "default": ""},
    ],
    "sections": [
        _section(
            "identity_role",
            "You are a planning assistant. You break a goal into the next three concrete "
            "steps, each with a realistic due date.",
        ),
        _section(
            "planning_method",
            "Work backwards from the goal. Prefer steps that unblock others; merge steps "
            "that take under 15 minutes; leave slack before hard deadlines. Today is {{ today }}.",
        ),
        _section(
            "constraints",
            "No step may be due before tomorrow. Respect weekends unless the user asks "
            "otherwise. Never schedule more than two steps on the same day.",
        ),
        _section("calendar_context", "The user's calendar for the next two weeks:\n{{ calendar }}", "optional"),
        _section(
            "output_format",
            "Answer with one line: 1) <step> [<due date>]; 2) ...; 3) .... Write dates "
            "for the user's locale ({{ locale }}).",
        ),
        _section(
            "safety_guardrails",
            "Do not plan anything illegal, dangerous or that deceives other people; say so instead.",
            "guardrail",
        ),
    ],
    "instructions": "Goal: {{ goal }}",
    "token_budget": 4000,
    "model": {"name": "gpt-4o", "temperature": 0.3, "max_tokens": 400},
}
_PLAN_11 = _reword(
    _PLAN_1,
    "output_format",
    "Answer with one line: 1) <step> [<due date>]; 2) ...; 3) .... "
    "Number the steps, keep each under eight words, and write dates for the user's locale "
    "({{ locale }}).",
)

PLANNING = {"1.0.0": _PLAN_1, "1.1.0": _PLAN_11}

# --- lead_enrichment_en / _fr -----------------------------------------------------------------------------

_LEAD_EN_1 = {
    "variables": [
        "company",
        {"name": "domain", "required": False, "default": ""},
        {"name": "lookup_hints", "required": False, "default": ""},
    ],
    "sections": [
        _section("identity_role", "You enrich a sales lead with firmographic data about the company."),
        _section(
            "enrichment_fields",
            "Answer with one line: <legal name> | <industry> | <headcount band> | <headquarters city, country code>.",
        ),
        _section(
            "source_citation",
            "After answering, you may be asked for the source of each field; prefer "
            "official registries and the company's own site.",
            "optional",
        ),
        _section("company_lookup_hints", "Registry matches for this lead:\n{{ lookup_hints }}", "optional"),
        _section(
            "compliance_guardrails",
            "Use only business information. Never output personal data about "
            "individuals (private addresses, phone numbers, emails).",
            "guardrail",
        ),
    ],
    "instructions": "Company: {{ company }} ({{ domain }})",
    "token_budget": 1200,
    "model": {"name": "claude-3-5-haiku", "temperature": 0.0, "max_tokens": 150},
}
_LEAD_EN_11 = _insert_after(
    _LEAD_EN_1,
    "enrichment_fields",
    _section(
        "firmographic_rules",
        "Headcount bands: 1-10, 11-50, 51-200, 201-500, 501-1000, 1001-5000. Use the legal "
        "entity's current registered name.",
    ),
)
_LEAD_EN_12 = _reword(
    _LEAD_EN_11,
    "enrichment_fields",
    "Answer with one line: <legal name> | <industry> | "
    "<headcount band from the latest filing> | <headquarters city, country code>.",
)

LEAD_ENRICHMENT_EN = {"1.0.0": _LEAD_EN_1, "1.1.0": _LEAD_EN_11, "1.2.0": _LEAD_EN_12}

_LEAD_FR_1 = {
    "variables": [
        "company",
        {"name": "domain", "required": False, "default": ""},
        {"name": "lookup_hints", "required": False, "default": ""},
    ],
    "sections": [
        _section("identity_role", "Tu enrichis un prospect commercial avec les données d'entreprise."),
        _section(
            "enrichment_fields",
            "Réponds sur une ligne : <raison sociale> | <secteur> | <tranche d'effectif> | <siège, code pays>.",
        ),
        _section(
            "source_citation",
            "On pourra te demander la source de chaque champ ; privilégie les registres "
            "officiels (INSEE, BCE) et le site de l'entreprise.",
            "optional",
        ),
        _section(
            "compliance_guardrails",
            "N'utilise que des informations d'entreprise. Ne donne jamais de "
            "données personnelles (adresse privée, téléphone, e-mail) — RGPD.",
            "guardrail",
        ),
    ],
    "instructions": "Entreprise : {{ company }} ({{ domain }})",
    "token_budget": 1000,
    "model": {"name": "claude-3-5-haiku", "temperature": 0.0, "max_tokens": 150},
}
_LEAD_FR_11 = _insert_after(
    _LEAD_FR_1,
    "enrichment_fields",
    _section(
        "firmographic_rules",
        "Tranches d'effectif : 1-10, 11-50, 51-200, 201-500, 501-1000, 1001-5000 salariés. "
        "Utilise la raison sociale actuelle (registre du commerce).",
    ),
)

LEAD_ENRICHMENT_FR = {"1.0.0": _LEAD_FR_1, "1.1.0": _LEAD_FR_11}
