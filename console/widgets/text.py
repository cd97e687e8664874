"""Text from the outside world (users' corrections, error messages) shown through Markdown.

Streamlit renders Markdown without HTML, but links and images still render: a correction such as
``![x](https://tracker.example/p.png)`` would make every operator's browser fetch that URL.
:func:`literal` escapes every Markdown character so such text shows as typed.
"""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_\[\]!#|<>~$])")  # links, images, code, emphasis, headings, tables, LaTeX


def literal(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)
