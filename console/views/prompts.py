"""Prompts: every prompt with its versions, lineage and labels (read-only)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console import state
from core.registry.labels import current_labels
from core.registry.prompts import list_prompts
from core.registry.versions import list_versions

st.title("Prompts")

with state.session() as session:
    prompts = list_prompts(session)
    catalogue = []
    for prompt in prompts:
        versions = list_versions(session, prompt=prompt)
        labels = current_labels(session, prompt=prompt)
        catalogue.append((prompt, versions, labels))

if not catalogue:
    st.info("No prompts yet. Create one with `promptloop prompts create NAME`, or run `promptloop seed-demo`.")
    st.stop()

summary = pd.DataFrame(
    [
        {
            "prompt": prompt.name,
            "description": prompt.description,
            "versions": len(versions),
            "latest": versions[-1].version if versions else None,
            "labels": ", ".join(f"{name} → {version}" for name, version in labels.items()),
        }
        for prompt, versions, labels in catalogue
    ]
)
st.dataframe(summary, hide_index=True, use_container_width=True)

names = [prompt.name for prompt, _, _ in catalogue]
chosen = st.selectbox("Prompt", names, key="prompt")
prompt, versions, labels = next(item for item in catalogue if item[0].name == chosen)
by_id = {v.id: v.version for v in versions}
labels_by_version: dict[str, list[str]] = {}
for name, version in labels.items():
    labels_by_version.setdefault(version, []).append(name)

st.subheader(f"{prompt.name} — versions")
st.dataframe(
    pd.DataFrame(
        [
            {
                "version": v.version,
                "parent": by_id.get(v.parent_id) if v.parent_id else None,
                "labels": ", ".join(labels_by_version.get(v.version, [])),
                "origin": v.origin,
                "author": v.author,
                "created": v.created_at,
                "sections": ", ".join(v.section_ids),
                "notes": v.notes,
            }
            for v in reversed(versions)
        ]
    ),
    hide_index=True,
    use_container_width=True,
)
