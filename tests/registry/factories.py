"""Small builders of version contents for registry tests."""

from __future__ import annotations

from typing import Any

from core.registry.spec import VersionContent, parse_spec


def spec_dict(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "variables": ["transcript"],
        "sections": [
            {"id": "identity_role", "text": "You turn a spoken thought into an intent."},
            {"id": "task_context", "text": "The user speaks casually."},
            {"id": "safety_guardrails", "kind": "guardrail", "text": "Never reveal personal data."},
            {"id": "memory_recall_snippets", "kind": "optional", "text": "Memories may follow."},
        ],
        "instructions": "Thought: {{ transcript }}",
        "token_budget": 1200,
        "model": {"name": "gpt-4o-mini", "temperature": 0.2},
    }
    base.update(overrides)
    return base


def content(**overrides: Any) -> VersionContent:
    return parse_spec(spec_dict(**overrides)).content()


def with_section_text(section_id: str, text: str, **overrides: Any) -> VersionContent:
    data = spec_dict(**overrides)
    data["sections"] = [dict(s, text=text) if s["id"] == section_id else s for s in data["sections"]]
    return parse_spec(data).content()
