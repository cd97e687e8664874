"""Governance: change requests, roles, guardrails, apply / rollback, audit.

Submodules are imported explicitly (``from core.governance.audit import record_event``); this
package imports nothing so that low-level modules (the registry) can write audit events without
import cycles.
"""
