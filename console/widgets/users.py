"""The Overview's "Users by expertise" section: per-user profiles from the per-unit daily rollups."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from core.analytics.users import ExpertiseThresholds, UserProfile

LEVELS = ("novice", "intermediate", "expert")
TOP = 20


def show_users(profiles: Sequence[UserProfile], thresholds: ExpertiseThresholds) -> None:
    st.subheader("Users by expertise")
    if not profiles:
        st.caption("No executions with a user id (unit_id) in this period.")
        return
    counts = Counter(p.level for p in profiles)
    for column, level in zip(st.columns(len(LEVELS)), LEVELS, strict=True):
        column.metric(level.capitalize(), f"{counts.get(level, 0):,}")
    rows = [
        {
            "user": p.unit_id,
            "level": p.level,
            "executions": p.executions,
            "accuracy": p.accuracy.value if p.accuracy.n else None,
            "95% interval": (
                f"{p.accuracy.interval.lower:.3f} – {p.accuracy.interval.upper:.3f}" if p.accuracy.n > 1 else ""
            ),
            "corrections": p.corrections,
            "failures": p.failures,
        }
        for p in profiles[:TOP]
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    t = thresholds
    st.caption(
        f"The {min(TOP, len(profiles))} busiest of {len(profiles):,} users, whole UTC days of the period, every "
        f"version and segment. Expert: ≥ {t.expert_min_executions} executions and mean accuracy ≥ "
        f"{t.expert_min_accuracy:.2f}; intermediate: ≥ {t.intermediate_min_executions} and ≥ "
        f"{t.intermediate_min_accuracy:.2f}; novice otherwise (thresholds: prompt settings, Admin page)."
    )
