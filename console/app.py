"""promptloop operator console: ``streamlit run console/app.py`` (or ``promptloop console``).

One file per page under ``console/views/`` (not ``pages/``, which Streamlit would auto-discover).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run console/app.py` puts console/ on sys.path, not the project root.
_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

VIEWS = Path(__file__).resolve().parent / "views"

st.set_page_config(page_title="promptloop", page_icon=":material/autorenew:", layout="wide")

navigation = st.navigation(
    {
        "Registry": [
            st.Page(VIEWS / "prompts.py", title="Prompts", icon=":material/description:", url_path="prompts"),
        ],
    }
)
navigation.run()
