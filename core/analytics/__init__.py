"""Analytics: typed figures read from the rollups (never from raw executions).

Modules: ``cells`` (scopes and the one aggregation query), ``summary`` (figures with intervals, daily
series), ``sections`` (adjusted section effects, combinations), ``tokens`` (budget suggestion),
``versions`` (sequential version comparison), ``users`` (expertise profiles).
"""
