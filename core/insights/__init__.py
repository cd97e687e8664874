"""Insights: a table of rules over a per-prompt snapshot (analytics + correction patterns) -> insights with a lifecycle.

Entry point: ``core.insights.discovery.discover_prompt``; console/CLI: ``core.insights.lifecycle``.
"""
