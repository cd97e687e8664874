"""Prompts page, governance side: lineage, label history, the section-aware diff of any two
versions, and opening promotion / rollback requests (role-gated, errors shown, nothing half-done)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from core.db.engine import transaction
from core.governance.queries import list_change_requests
from core.registry.labels import move_label
from tests.console.governance_data import ALICE, PROMPT, production, seed
from tests.console.signin import email_for

PAGE = "views/prompts.py"


@pytest.fixture
def promoted(engine: Engine) -> None:
    """production: 1.0.0, then 1.0.1 (so a rollback has somewhere to go)."""
    seed(engine)
    with transaction(engine) as s:
        move_label(s, prompt_name=PROMPT, label="production", version="1.0.1", actor="ops@x.io", reason="ship it")


def test_diff_of_any_two_versions_is_section_aware(promoted: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user=ALICE)
    assert not at.exception
    # default: the newest version against its parent (1.1.0 only changes the token budget)
    assert any("~ token_budget" in m.value for m in at.markdown)
    at.selectbox(key="diff_from").set_value("1.0.0")
    at.selectbox(key="diff_to").set_value("1.0.1").run()
    summary = "\n".join(m.value for m in at.markdown)
    assert "1 changed · 0 added · 0 removed · 0 reordered" in summary
    assert "`task_context` (required) · :orange[**changed**]" in summary
    assert any(c.value.startswith("--- a/task_context") and "+Be formal." in c.value for c in at.code)
    side_by_side = next(d.value for d in at.dataframe if "change" in d.value.columns)
    changed = side_by_side[side_by_side["change"] != "equal"]
    assert list(changed[f"{PROMPT}@1.0.1"]) == ["Be formal."]
    assert any("Lineage of 1.0.1: 1.0.0 → 1.0.1" in c.value for c in at.caption)


def test_label_history_lists_every_move(promoted: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user="viewer")
    history = next(d.value for d in at.dataframe if "reason" in d.value.columns and "by" in d.value.columns)
    assert list(history["to"]) == ["1.0.1", "1.0.0"]
    assert history.loc[0, "reason"] == "ship it"


def test_rollback_opens_a_request_with_the_reason(
    engine: Engine, promoted: None, console_app: Callable[..., AppTest]
) -> None:
    at = console_app(PAGE, user=ALICE)
    assert at.selectbox(key="rollback_target").value == "1.0.0"  # the label's previous version
    at.button(key="rollback_submit").click().run()  # no reason: refused by core, nothing written
    assert any("needs a reason" in e.value for e in at.error)
    with transaction(engine) as s:
        assert list_change_requests(s) == []

    at.text_area(key="rollback_reason").input("1.0.1 confuses reminders")
    at.button(key="rollback_submit").click().run()
    assert not at.exception
    assert any("Opened change request #1 rollback" in s.value for s in at.success)
    with transaction(engine) as s:
        [opened] = list_change_requests(s)
    assert (opened.kind, opened.status, opened.target_version) == ("rollback", "pending", "1.0.0")
    assert (opened.requested_by, opened.reason) == (ALICE, "1.0.1 confuses reminders")
    assert production(engine) == "1.0.1"  # nothing moves before someone else approves


def test_propose_promotion_of_a_version(engine: Engine, promoted: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user=ALICE)
    at.selectbox(key="promote_version").set_value("1.1.0")
    at.selectbox(key="promote_label").set_value("production")
    at.text_area(key="promote_reason").input("smaller budget, same accuracy")
    at.button(key="promote_submit").click().run()
    assert any("Another operator approves it on Approvals" in s.value for s in at.success)
    with transaction(engine) as s:
        [opened] = list_change_requests(s)
    assert (opened.kind, opened.base_version, opened.target_version) == ("promote_version", "1.0.1", "1.1.0")
    assert not [c for c in at.checkbox if c.key == "promote_apply_now"]  # apply-now is for admins
    assert any(c.value.startswith(f"Open: #{opened.id} promote: {PROMPT} production") for c in at.caption)


def test_admin_may_roll_back_at_once(engine: Engine, promoted: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user="admin")
    at.text_area(key="rollback_reason").input("incident 42")
    at.checkbox(key="rollback_apply_now").check()
    at.button(key="rollback_submit").click().run()
    assert any("was opened and applied" in s.value for s in at.success)
    assert production(engine) == "1.0.0"


def test_viewer_gets_no_change_forms(promoted: None, console_app: Callable[..., AppTest]) -> None:
    at = console_app(PAGE, user=email_for("viewer"))
    assert not at.exception
    keys = {b.key for b in at.button}
    assert not keys & {"promote_submit", "rollback_submit"}
    assert any("needs the operator role" in c.value for c in at.caption)
