"""The free text of outcomes: correction pairs, error messages, judge scores.

Some error messages carry what real ones carry — an API key, a contact's email — so the demo
exercises ingestion's redaction; correction texts never do (redaction there would change nothing
but the stored text, since similarity is computed before it).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from numpy.typing import NDArray

from core.demo.behaviour import SCORE_BETA, Decisions
from core.demo.calendar import MS_PER_DAY
from core.demo.picker import DRAWS_PER_TEXT, Picker
from core.demo.texts_leads import DOMAINS
from core.demo.themes import THEMES
from core.demo.traffic import STEP_TEXTS, Calls, Setup
from core.tracking.precedence import correction_similarity

_FIRST = ("jane", "omar", "lucie", "mark", "priya", "hugo", "sofia", "tom")
_LAST = ("doe", "haddad", "martin", "evans", "shah", "bernard", "rossi", "nguyen")
JUDGE_NOISE = 0.08


def correction_texts(setup: Setup, calls: Calls, d: Decisions) -> tuple[NDArray[np.object_], NDArray[np.object_]]:
    plan, window = setup.plan, setup.window
    rng = setup.rng(STEP_TEXTS)
    chosen = np.flatnonzero(d.corrected)
    uniforms = rng.random((chosen.size, DRAWS_PER_TEXT))
    themes = THEMES[plan.name]
    original = np.full(calls.size, None, dtype=object)
    corrected = np.full(calls.size, None, dtype=object)
    for row, i in enumerate(chosen):
        day = window.start + timedelta(days=int(calls.offset_ms[i] // MS_PER_DAY))
        original[i], corrected[i] = themes[d.theme[i]](Picker(uniforms[row]), day)
    return original, corrected


def _hex(p: Picker, digits: int) -> str:
    return "".join("0123456789abcdef"[int(p.uniform() * 16) % 16] for _ in range(digits))


def failure_texts(setup: Setup, calls: Calls, d: Decisions) -> NDArray[np.object_]:
    plan, versions = setup.plan, setup.versions
    rng = setup.rng(STEP_TEXTS + 1)
    chosen = np.flatnonzero(d.failed)
    uniforms = rng.random((chosen.size, DRAWS_PER_TEXT))
    errors = np.full(calls.size, None, dtype=object)
    for row, i in enumerate(chosen):
        p = Picker(uniforms[row])
        kind = int(d.failure_kind[i])
        template = plan.outage.error if kind == -2 and plan.outage is not None else plan.failures[kind].error
        domain = p.pick(DOMAINS)
        errors[i] = template.format(
            model=versions[calls.version[i]].model,
            request=f"req_{_hex(p, 12)}",
            seconds=p.integer(1, 20),
            domain=domain,
            email=f"{p.pick(_FIRST)}.{p.pick(_LAST)}@{domain}",
            key=f"sk-proj-{_hex(p, 12)}{_hex(p, 12)}",
        )
    return errors


def judge_scores(
    setup: Setup, d: Decisions, original: NDArray[np.object_], corrected: NDArray[np.object_]
) -> NDArray[np.float64]:
    """An automated judge: near 1 for correct answers, about the similarity for corrected ones; nan if unscored."""
    rng = setup.rng(STEP_TEXTS + 2)
    n = d.failed.size
    scores = 1.0 - rng.beta(*SCORE_BETA, size=n)
    noise = rng.normal(0.0, JUDGE_NOISE, size=n)
    for i in np.flatnonzero(d.scored & d.corrected):
        scores[i] = min(1.0, max(0.0, correction_similarity(original[i], corrected[i]) + noise[i]))
    return np.where(d.scored, np.round(scores, 3), np.nan)
