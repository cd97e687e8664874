"""The weekly report: built as JSON (with every chart's data) and Markdown, stored, listed, downloaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models.insights import Report
from core.errors import NotFoundError
from core.insights.findings import estimate_json, num, pct
from core.recommend.analysis import PromptAnalysis
from core.recommend.gating import OBSERVATIONAL, Gated, section_evidence
from core.recommend.store import RecommendationView


@dataclass(frozen=True)
class ReportSummary:
    id: int
    kind: str
    period_start: datetime
    period_end: datetime
    generated_by: str
    prompts: int
    recommendations: int
    errors: dict[str, Any]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "generated_by": self.generated_by,
            "prompts": self.prompts,
            "recommendations": self.recommendations,
            "errors": self.errors,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class ReportView:
    summary: ReportSummary
    content: dict[str, Any]
    markdown: str


def _summary(row: Report) -> ReportSummary:
    return ReportSummary(
        row.id, row.kind, row.period_start, row.period_end, row.generated_by, row.prompts, row.recommendations,
        dict(row.errors), row.created_at,
    )  # fmt: skip


def list_reports(session: Session, *, limit: int = 50) -> list[ReportSummary]:
    """Newest first."""
    rows = session.scalars(select(Report).order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)).all()
    return [_summary(row) for row in rows]


def get_report(session: Session, *, report_id: int) -> ReportView:
    row = session.get(Report, report_id)
    if row is None:
        raise NotFoundError(f"no report #{report_id} (see `promptloop reports list`)")
    return ReportView(_summary(row), dict(row.content), row.markdown)


def _prompt_json(a: PromptAnalysis, gated: Gated, recs: Sequence[RecommendationView]) -> dict[str, Any]:
    s = a.summary
    sections = [section_evidence(t, gated.section_q.get((a.prompt, t.section_id))) for t in a.sections]
    combos: list[dict[str, Any]] = [
        {
            "sections": list(c.section_ids),
            "executions": c.executions,
            "raw": estimate_json(c.raw),
            "standardized": estimate_json(c.standardized),
        }
        for c in a.combinations
    ]
    budget = a.budget
    return {
        "prompt": a.prompt,
        "version": a.version,
        "floors": {"min_group_size": a.floors.min_group_size, "min_confidence": a.floors.min_confidence},
        "summary": {
            "executions": s.executions,
            "accuracy": estimate_json(s.accuracy),
            "correction_rate": estimate_json(s.correction_rate),
            "failure_rate": estimate_json(s.failure_rate),
            "latency_p50_ms": num(s.latency_p50_ms),
            "latency_p95_ms": num(s.latency_p95_ms),
            "prompt_tokens_p95": num(s.prompt_tokens_p95),
        },
        "sections": sections,
        "token_budget": None
        if budget is None
        else {
            "current": budget.current_budget,
            "suggested": budget.suggested_budget,
            "p95_all": num(budget.p95_all),
            "p95_high_accuracy": estimate_json(a.p95_high) if a.p95_high else None,
        },
        "combinations": combos,
        "recommendation_ids": [r.id for r in recs if r.prompt == a.prompt],
        "charts": {
            "section_effects": {
                "type": "forest",
                "rows": [
                    {"label": x["section"], "estimate": x["effect"], **x["interval"], "q_value": x["q_value"]}
                    for x in sections
                ],
                "reference": 0.0,
            },
            "combinations": {
                "type": "interval_bar",
                "rows": [{"label": " + ".join(c["sections"]) or "(none)", **c["standardized"]} for c in combos],
            },
        },
    }


def build_report(
    *,
    analyses: Sequence[PromptAnalysis],
    gated: Gated,
    recommendations: Sequence[RecommendationView],
    errors: dict[str, str],
    start: datetime,
    end: datetime,
) -> tuple[dict[str, Any], str]:
    content = {
        "kind": "weekly",
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "multiple_testing": {
            "method": "Benjamini–Hochberg",
            "family": "every section test of this run, all prompts",
            "tests": len(gated.section_q),
            "confidence": "1 − q",
        },
        "prompts": [_prompt_json(a, gated, recommendations) for a in analyses],
        "recommendations": [r.to_dict() for r in recommendations],
        "not_recommended": [
            {"prompt": c.prompt, "subject": c.subject, "reason": c.reason, "figures": c.figures}
            for c in gated.considered
        ],
        "errors": errors,
    }
    return content, render_markdown(content)


def render_markdown(content: dict[str, Any]) -> str:
    period = content["period"]
    lines = [
        f"# Weekly optimization report — {period['start'][:10]} to {period['end'][:10]}",
        "",
        f"Section effects are observational ({OBSERVATIONAL}); q-values are Benjamini–Hochberg over "
        f"{content['multiple_testing']['tests']} section tests of this run; confidence = 1 − q.",
        "",
        "| prompt | version | executions | accuracy (95 % CI) | corrections | failures | latency p95 |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for p in content["prompts"]:
        s = p["summary"]
        acc = s["accuracy"]
        p95 = f"{s['latency_p95_ms'] / 1000:.1f} s" if s["latency_p95_ms"] else "n/a"
        lines.append(
            f"| {p['prompt']} | {p['version']} | {s['executions']} | {pct(acc['value'])} "
            f"({pct(acc['lower'])}–{pct(acc['upper'])}) | {pct(s['correction_rate']['value'])} | "
            f"{pct(s['failure_rate']['value'])} | {p95} |"
        )
    lines += ["", "## Recommendations", ""]
    if not content["recommendations"]:
        lines.append("None this week.")
    for r in content["recommendations"]:
        q = f"q = {r['q_value']:.3g}, confidence {r['confidence']:.2f}; " if r["q_value"] is not None else ""
        flag = " *(observational)*" if r["observational"] else ""
        lines.append(f"- **#{r['id']} {r['title']}**{flag} — {q}{r['rationale']}")
    lines += ["", "## Examined, not recommended", ""]
    for c in content["not_recommended"]:
        effect = c["figures"].get("effect")
        figure = f" (effect {effect:+.4f}, q = {c['figures'].get('q_value')})" if effect is not None else ""
        lines.append(f"- {c['prompt']} · {c['subject']}: {c['reason']}{figure}")
    lines += _section_tables(content)
    if content["errors"]:
        lines += ["", "## Errors", ""] + [f"- {name}: {error}" for name, error in content["errors"].items()]
    return "\n".join(lines) + "\n"


def _section_tables(content: dict[str, Any]) -> list[str]:
    lines = ["", "## Section effects (adjusted, observational)", ""]
    lines += ["| prompt | section | effect | 95 % CI | q | n with / without |", "|---|---|---:|---|---:|---|"]
    for p in content["prompts"]:
        for x in p["sections"]:
            if x["effect"] is None:
                continue
            iv, q = x["interval"], x["q_value"]
            ci = f"{iv['lower']:+.4f} to {iv['upper']:+.4f}" if iv["lower"] is not None else "n/a"
            lines.append(
                f"| {p['prompt']} | {x['section']} | {x['effect']:+.4f} | {ci} | "
                f"{'n/a' if q is None else f'{q:.3g}'} | {x['n_included']} / {x['n_excluded']} |"
            )
    return lines
