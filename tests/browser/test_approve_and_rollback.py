"""The approve → rollback path in a real browser against the real console process.

alice (operator) asked to promote thought_to_intent 1.0.0 → 1.0.1 on production. bob (operator)
signs in, approves it on Approvals and sees the label move; he opens a rollback request on Prompts;
alice signs in and approves the rollback (two people, each approving the other's request); the
label is back on 1.0.0 and its history records the promotion and the rollback with their requests.
"""

from __future__ import annotations

import os

import pytest

if os.environ.get("PROMPTLOOP_REQUIRE_BROWSER") != "1":  # in CI a missing Playwright is an error, not a skip
    pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install -e '.[dev]'")
from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from core.db.engine import transaction
from core.governance.changes import propose_promotion
from core.governance.demo import ensure_demo_users
from core.governance.queries import get_change_request, list_change_requests
from core.governance.rules import GovernanceRules
from core.governance.users import principal_for
from core.registry.labels import label_history
from core.registry.prompts import get_prompt
from tests.governance.helpers import PROMPT, make_prompt

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

ALICE = ("alice@demo.promptloop", "demo-alice-pass")
BOB = ("bob@demo.promptloop", "demo-bob-pass")


@pytest.fixture
def pending_promotion(engine: Engine) -> int:
    with transaction(engine) as s:
        ensure_demo_users(s)
    make_prompt(engine)  # 1.0.0 (production), 1.0.1, 1.1.0
    with transaction(engine) as s:
        proposal = propose_promotion(
            s,
            actor=principal_for(s, email=ALICE[0]),
            rules=GovernanceRules(),
            prompt_name=PROMPT,
            label="production",
            version="1.0.1",
            reason="formal context tested better",
            evidence={
                "summary": "accuracy +3.1 points",
                "figures": [{"name": "accuracy", "estimate": 0.031, "lower": 0.012, "upper": 0.05, "level": 0.95}],
            },
        )
    return proposal.request.id


def sign_in(page: Page, url: str, account: tuple[str, str]) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Email").fill(account[0])
    page.get_by_role("textbox", name="Password").fill(account[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {account[0]}")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("textbox", name="Password")).to_be_visible()


def open_page(page: Page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", name=title, exact=True)).to_be_visible()


def approve_newest(page: Page, title: str, *, evidence: str, comment: str) -> None:
    open_page(page, "Approvals")
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_text(evidence)).to_be_visible()
    decision = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Approve"))
    decision.get_by_label("Comment").fill(comment)
    decision.get_by_role("button", name="Approve").click()


def test_operator_approves_then_rolls_back(
    page: Page, console_url: str, engine: Engine, pending_promotion: int
) -> None:
    promotion = pending_promotion
    sign_in(page, console_url, BOB)

    title = f"#{promotion} promote: {PROMPT} production 1.0.0 → 1.0.1"
    approve_newest(page, title, evidence="accuracy +3.1 points", comment="checked the evidence")
    expect(page.get_by_text(f"Approved #{promotion} and applied it: label production: 1.0.0 → 1.0.1")).to_be_visible()

    open_page(page, "Prompts")
    expect(page.get_by_text("production points at 1.0.1.")).to_be_visible()
    rollback = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Open rollback request"))
    rollback.get_by_label("Reason").fill("reminders regressed after 1.0.1")
    rollback.get_by_role("button", name="Open rollback request").click()
    expect(page.get_by_text("Opened change request")).to_be_visible()

    with transaction(engine) as s:
        history = label_history(s, prompt=get_prompt(s, name=PROMPT), label="production")
        [opened] = list_change_requests(s, kind="rollback")
    assert history[-1].to_version == "1.0.1"
    assert (opened.status, opened.requested_by, opened.target_version) == ("pending", BOB[0], "1.0.0")
    rollback_id = opened.id

    sign_out(page)
    sign_in(page, console_url, ALICE)
    title = f"#{rollback_id} rollback: {PROMPT} production 1.0.1 → 1.0.0"
    approve_newest(page, title, evidence="no summary given", comment="agreed, roll back")
    expect(page.get_by_text(f"Approved #{rollback_id} and applied it: label production: 1.0.1 → 1.0.0")).to_be_visible()
    open_page(page, "Prompts")
    expect(page.get_by_text("production points at 1.0.0.")).to_be_visible()

    with transaction(engine) as s:
        history = label_history(s, prompt=get_prompt(s, name=PROMPT), label="production")
        rollback_request = get_change_request(s, request_id=rollback_id).request
    assert [(h.from_version, h.to_version, h.kind, h.actor, h.change_request_id) for h in history] == [
        (None, "1.0.0", "set", "admin@x.io", None),
        ("1.0.0", "1.0.1", "set", BOB[0], promotion),
        ("1.0.1", "1.0.0", "rollback", ALICE[0], rollback_id),
    ]
    assert (rollback_request.requested_by, rollback_request.decided_by) == (BOB[0], ALICE[0])
