"""Correction patterns (pure): what a correction changed, clustering, and growth this week vs the weeks before."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from core.insights.patterns.cluster import cluster_corrections, pattern_key
from core.insights.patterns.features import diff_features
from core.insights.patterns.growth import HourTotals, Window, build_patterns
from core.insights.patterns.mine import PatternMining, pattern_window
from core.insights.patterns.sample import CorrectionText
from core.insights.rules import RULES_BY_ID
from core.insights.settings import InsightSettings
from tests.insights.factories import NOW, snapshot


def test_features_say_what_changed_with_numbers_by_shape() -> None:
    date_fix = diff_features("reminder: insurance | 03/11/2026 09:00", "reminder: insurance | 2026-03-11 09:00")
    assert "99/99/9999>9999-99-99" in date_fix
    assert "-99/99/9999" in date_fix
    assert "insurance" not in " ".join(date_fix)  # unchanged text is not a feature
    assert "<respelled>" in diff_features("ask Jon about it", "ask John about it")
    assert "<reordered>" in diff_features("80x120x45 cm", "120x80x45 cm")
    assert "<inserted>" in diff_features("120x80 cm", "120x80x45 cm")
    assert diff_features("same", "same") == ["<same>"]


def _texts(rng: np.random.Generator, theme: str) -> tuple[str, str]:
    day, month = int(rng.integers(1, 28)), int(rng.integers(1, 12))
    subject = str(rng.choice(["call mum", "pay rent", "water plants", "book dentist"]))
    if theme == "date":
        us, iso = f"{month:02d}/{day:02d}/2026", f"2026-{month:02d}-{day:02d}"
        return f"task: {subject} | {us} 09:00", f"task: {subject} | {iso} 09:00"
    if theme == "intent":
        return f"note: {subject} | unspecified", f"task: {subject} | tomorrow 09:00"
    name, other = [("jon", "john"), ("eric", "erik"), ("sara", "zara")][int(rng.integers(0, 3))]
    return f"message: ask {name} | today", f"message: ask {other} | today"


def test_clustering_separates_themes_deterministically() -> None:
    rng = np.random.default_rng(1)
    themes = [str(t) for t in rng.choice(["date", "intent", "name"], size=600, p=[0.2, 0.4, 0.4])]
    bags = [diff_features(*_texts(rng, t)) for t in themes]
    first = cluster_corrections(bags, max_clusters=6, seed=7)
    again = cluster_corrections(bags, max_clusters=6, seed=7)
    assert np.array_equal(first.labels, again.labels)
    assert first.terms == again.terms
    dates = {int(first.labels[i]) for i, t in enumerate(themes) if t == "date"}
    assert len(dates) == 1  # one pattern holds every date fix ...
    [cluster] = dates
    assert {themes[i] for i in np.flatnonzero(first.labels == cluster)} == {"date"}  # ... and nothing else
    assert "99/99/9999>9999-99-99" in first.terms[cluster][:3]


def test_pattern_identity_depends_on_its_strongest_features_only() -> None:
    assert pattern_key(("a>b", "-a", "+b")) == pattern_key(("-a", "a>b", "+x"))
    assert pattern_key(("a>b", "-a")) != pattern_key(("a>b", "-c"))


def _hours(window: Window, per_hour: int, corrections: int) -> dict[datetime, HourTotals]:
    hours = {}
    at = window.start
    while at < window.end:
        hours[at] = HourTotals(per_hour, corrections)
        at += timedelta(hours=1)
    return hours


def test_a_pattern_that_grows_this_week_is_anomalous_and_the_others_are_not() -> None:
    window = pattern_window(NOW, InsightSettings())
    rng = np.random.default_rng(2)
    samples, themes = [], []
    at = window.start
    while at < window.end:
        recent = at >= window.recent_start
        for _ in range(4):  # 4 corrections an hour, every one sampled
            theme = "date" if rng.random() < (0.5 if recent else 0.1) else str(rng.choice(["intent", "name"]))
            original, corrected = _texts(rng, theme)
            samples.append(CorrectionText(at, at, original, corrected, 0.88))
            themes.append(theme)
        at += timedelta(hours=1)
    hours = _hours(window, per_hour=40, corrections=4)
    clustering = cluster_corrections([diff_features(s.original, s.corrected) for s in samples], seed=7)
    patterns = build_patterns(clustering, samples, hours, window, fdr=0.01)
    date = next(p for p in patterns if "99/99/9999>9999-99-99" in p.terms)
    assert date.growing
    assert date.recent.value > 3 * date.earlier.value
    assert date.growth.relative_interval.lower > 1
    assert date.trend.slope_per_step >= 0
    assert abs(date.severity - date.recent.value * 0.12) < 1e-9
    assert len(date.daily) == 28
    assert date.examples[0][0].endswith("09:00")
    assert all(not p.growing for p in patterns if p is not date)

    rule = RULES_BY_ID["growing_correction_pattern"]
    mining = PatternMining(window, len(samples), clustering.k, clustering.silhouette, 7, tuple(patterns))
    [finding] = rule.check(snapshot(patterns=mining), rule) or []
    assert finding.key == f"corrections:{date.key}"
    assert finding.category == "corrections"
    assert finding.evidence["pattern"]["examples"]
    assert rule.check(snapshot(patterns=None), rule) is None


def test_sampling_weights_turn_a_sample_back_into_shares_of_calls() -> None:
    window = pattern_window(NOW, InsightSettings())
    at = window.start + timedelta(hours=3)
    samples = [CorrectionText(at, at, "note: x | unspecified", "task: x | tomorrow", 0.7)]
    hours = _hours(window, per_hour=100, corrections=0) | {at: HourTotals(100, 10)}  # 1 of 10 sampled
    clustering = cluster_corrections([diff_features(s.original, s.corrected) for s in samples])
    [pattern] = build_patterns(clustering, samples, hours, window, fdr=0.01)
    assert pattern.estimated == 10  # the sampled correction stands for its hour's ten
    assert abs(pattern.daily[0][1] - 10 / 2400) < 1e-12
