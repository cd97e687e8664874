"""Every ORM table, imported so ``Base.metadata`` is complete (Alembic compares against it).

One module per domain; each later domain adds its module here.
"""

from core.db.models import governance, insights, tracking  # noqa: F401  (each module registers its tables)
from core.db.models.audit import AuditEvent
from core.db.models.registry import Label, LabelMove, Prompt, PromptSection, PromptVersion

__all__ = ["AuditEvent", "Label", "LabelMove", "Prompt", "PromptSection", "PromptVersion"]
