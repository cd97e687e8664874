"""Token budget: how much of the version's budget executions really use, and a suggested budget.

The suggestion is the 95th percentile of prompt tokens among *high-accuracy* executions (effective
accuracy >= ``core.tracking.histogram.HIGH_ACCURACY``) plus a safety margin, rounded up — the
budget the prompt needs when it works well. Percentiles come from the rollups' log-scale token
histograms, so they are accurate to about ±12 % (one bucket); the margin covers that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.analytics.cells import CellStats, Scope, total


@dataclass(frozen=True)
class TokenBudgetSuggestion:
    current_budget: int | None
    executions: int
    high_accuracy_executions: int
    p95_all: float | None
    p95_high_accuracy: float | None
    suggested_budget: int | None  # None when there are too few high-accuracy executions
    margin: float
    utilisation: float | None  # p95 of all executions / current budget

    @property
    def oversized_by(self) -> float | None:
        """current / suggested (e.g. 3.2 means the budget is 3.2 times what is needed)."""
        if self.current_budget is None or not self.suggested_budget:
            return None
        return self.current_budget / self.suggested_budget


def suggest_budget(
    stats: CellStats, *, current_budget: int | None, margin: float = 0.2, round_to: int = 50, min_n: int = 100
) -> TokenBudgetSuggestion:
    """Pure: the suggestion from summed cells (which must carry both token histograms)."""
    high = stats.histograms.get("prompt_tokens_hist_high") or ()
    n_high = sum(high)
    p95_all = stats.quantile("prompt_tokens_hist", 0.95)
    p95_high = stats.quantile("prompt_tokens_hist_high", 0.95)
    suggested = None
    if p95_high is not None and n_high >= min_n:
        suggested = int(math.ceil(p95_high * (1 + margin) / round_to) * round_to)
    return TokenBudgetSuggestion(
        current_budget=current_budget,
        executions=stats.executions,
        high_accuracy_executions=n_high,
        p95_all=p95_all,
        p95_high_accuracy=p95_high,
        suggested_budget=suggested,
        margin=margin,
        utilisation=(p95_all / current_budget) if (p95_all is not None and current_budget) else None,
    )


def token_budget_suggestion(
    session: Session, scope: Scope, *, current_budget: int | None, margin: float = 0.2, min_n: int = 100
) -> TokenBudgetSuggestion:
    stats = total(session, scope, histograms=("prompt_tokens_hist", "prompt_tokens_hist_high"))
    return suggest_budget(stats, current_budget=current_budget, margin=margin, min_n=min_n)
