"""Correction themes per prompt, and their mean accuracy loss under ingestion's similarity measure.

The loss of a correction is ``1 - similarity(original, corrected)`` as ``core.tracking.precedence``
computes it. The generator needs each theme's *mean* loss to turn a target accuracy into an error
probability; it is measured here by Monte Carlo on a fixed seed (independent of the demo seed), so a
change of similarity measure or of the texts re-calibrates the demo instead of silently moving
every planted size.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache

import numpy as np

from core.demo.picker import DRAWS_PER_TEXT, Picker
from core.demo.texts_assistant import DIMENSION_EXTRACTION, PLANNING, THOUGHT_TO_INTENT, Theme
from core.demo.texts_leads import LEAD_ENRICHMENT_EN, LEAD_ENRICHMENT_FR
from core.tracking.precedence import correction_similarity

THEMES: dict[str, dict[str, Theme]] = {
    "thought_to_intent": THOUGHT_TO_INTENT,
    "dimension_extraction": DIMENSION_EXTRACTION,
    "planning": PLANNING,
    "lead_enrichment_en": LEAD_ENRICHMENT_EN,
    "lead_enrichment_fr": LEAD_ENRICHMENT_FR,
}
CALIBRATION_SEED = 20_240_601
CALIBRATION_DRAWS = 3000
_CALIBRATION_DAY = date(2026, 3, 2)


@cache
def theme_loss(prompt: str, theme: str) -> float:
    """Mean accuracy loss of one theme's corrections (Monte Carlo, fixed seed, SE < 0.003)."""
    generate = THEMES[prompt][theme]
    rng = np.random.default_rng([CALIBRATION_SEED, sorted(THEMES).index(prompt), sorted(THEMES[prompt]).index(theme)])
    uniforms = rng.random((CALIBRATION_DRAWS, DRAWS_PER_TEXT))
    losses = [1.0 - correction_similarity(*generate(Picker(row), _CALIBRATION_DAY)) for row in uniforms]
    return float(np.mean(losses))


def mix_loss(prompt: str, weights: Mapping[str, float]) -> float:
    """Mean loss of a correction drawn from a theme mix."""
    total = sum(weights.values())
    return sum(w / total * theme_loss(prompt, theme) for theme, w in weights.items())
