"""Weekly recommendations (section ADD/REMOVE, token budget, best combination) and the stored weekly report.

Entry points: ``core.recommend.weekly.analyse_prompt`` / ``finalise``; hand-off: ``core.recommend.handoff``.
"""
