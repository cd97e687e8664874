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

from console import auth  # noqa: E402  (needs the sys.path fix above)

PAGES = {
    "Monitor": [
        st.Page(VIEWS / "overview.py", title="Overview", icon=":material/monitoring:", default=True),
    ],
    "Findings": [
        st.Page(VIEWS / "insights.py", title="Insights", icon=":material/lightbulb:", url_path="insights"),
        st.Page(VIEWS / "recommendations.py", title="Recommendations", icon=":material/recommend:"),
        st.Page(VIEWS / "reports.py", title="Reports", icon=":material/summarize:", url_path="reports"),
    ],
    "Registry": [
        st.Page(VIEWS / "prompts.py", title="Prompts", icon=":material/description:", url_path="prompts"),
    ],
    "Governance": [
        st.Page(VIEWS / "approvals.py", title="Approvals", icon=":material/task_alt:", url_path="approvals"),
        st.Page(VIEWS / "audit.py", title="Audit log", icon=":material/history:", url_path="audit"),
    ],
}
ADMIN = {"Admin": [st.Page(VIEWS / "admin.py", title="Admin", icon=":material/settings:", url_path="admin")]}

# Signed out, no page runs (the sign-in form shows at the requested address); the Admin page is
# listed for admins only and refuses anyone else itself.
principal = auth.gate(PAGES | ADMIN)
navigation = st.navigation(PAGES | ADMIN if auth.is_admin(principal) else PAGES)
auth.sidebar(principal)
navigation.run()
