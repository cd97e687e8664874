"""Real-browser tests: the console as a real `streamlit run` subprocess, driven by Debian's Chromium.

Playwright drives the system Chromium (``/usr/bin/chromium``, or ``PROMPTLOOP_CHROMIUM``) through
``executable_path``; Playwright's own browser downloads are never used. Without Chromium (or
Playwright) these tests skip with the reason, unless ``PROMPTLOOP_REQUIRE_BROWSER=1`` (CI), where
that is a failure. A failing test leaves a screenshot and the console's log in
``PROMPTLOOP_BROWSER_ARTIFACTS`` (default: the test's tmp dir) and prints where.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.processes import free_port, stop, wait_http

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "console" / "app.py"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT = 60.0


def _unavailable(reason: str) -> None:
    if os.environ.get("PROMPTLOOP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (PROMPTLOOP_REQUIRE_BROWSER=1, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("PROMPTLOOP_CHROMIUM", "/usr/bin/chromium")
    if not (Path(path).is_file() and os.access(path, os.X_OK)) and shutil.which(path) is None:
        _unavailable(f"no Chromium at {path}: install Debian's `chromium` package (or set PROMPTLOOP_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright is not installed: pip install -e '.[dev]'")
    return path


# Package scope, not session: while Playwright's sync API runs it keeps an asyncio loop current in this
# thread, and code that asks "am I in async code?" (Prefect's run_deployment) gets the wrong answer in every
# test that comes after.
@pytest.fixture(scope="package")
def browser(chromium_path: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PROMPTLOOP_BROWSER_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser: Browser, console_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Page]:
    """A fresh browser context; torn down before the console, so a failure's screenshot shows the page."""
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    try:
        yield opened
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            shot = _artifacts(tmp_path) / f"{request.node.name}.png"
            try:
                opened.screenshot(path=str(shot), full_page=True)
                print(f"\nscreenshot of the failure: {shot}")  # noqa: T201  (shown with the failure)
            except Exception as exc:  # the page may be gone; the report must still come through
                print(f"\nno screenshot ({exc})")  # noqa: T201
        context.close()


@pytest.fixture
def console_url(chromium_path: str, db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Start the real console (``python -m streamlit run console/app.py``) against the test database."""
    port = free_port()
    log = tmp_path / "console.log"
    env = os.environ | {
        "PROMPTLOOP_DATABASE_URL": db_url,
        "PROMPTLOOP_HOME": str(tmp_path / "home"),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/_stcore/health", STARTUP_TIMEOUT, process, log, poll=0.25)
        yield url
    finally:
        stop(process, timeout=10)
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            kept = _artifacts(tmp_path) / f"{request.node.name}-console.log"
            if kept != log:
                shutil.copyfile(log, kept)
            print(f"console log: {kept}")  # noqa: T201
