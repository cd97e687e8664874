"""`promptloop serve` as a real process: every schedule served, runs executed, schedules survive a stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.schedules import CATALOGUE, DEPLOYMENT

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _wait_for(check: object, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()  # type: ignore[operator]
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}")


def test_serve_runs_schedules_and_triggered_runs(db_url: str, tmp_path: Path, prefect_harness: None) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    env = os.environ | {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PROMPTLOOP_DATABASE_URL": db_url,
        "PROMPTLOOP_HOME": str(tmp_path),
        "PROMPTLOOP_TIMEZONE": "Europe/Paris",
    }
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen([sys.executable, "-m", "flows.cli", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        with get_client(sync_client=True) as client:

            def deployments() -> list[object] | None:
                found = []
                for flow in CATALOGUE:
                    try:
                        found.append(client.read_deployment_by_name(f"{flow.name}/{DEPLOYMENT}"))
                    except Exception:
                        return None
                return found

            served = _wait_for(deployments, 120, "the three deployments")
            for flow, deployment in zip(CATALOGUE, served, strict=True):  # type: ignore[call-overload]
                [schedule] = deployment.schedules
                assert schedule.schedule.cron == flow.cron
                assert schedule.schedule.timezone == "Europe/Paris"
                assert schedule.active

            trigger = subprocess.run(
                [sys.executable, "-m", "flows.cli", "flows", "trigger", "policy-update"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
            )  # fmt: skip
            run_id = trigger.stdout.strip().splitlines()[-1]

            def finished() -> object:
                state = client.read_flow_run(run_id).state
                return state if state is not None and state.is_final() else None

            state = _wait_for(finished, 180, "the triggered run to finish")
            assert state.is_completed(), state  # type: ignore[attr-defined]

            serve.send_signal(signal.SIGINT)
            serve.wait(timeout=60)
            for flow in CATALOGUE:  # pause_on_shutdown=False: stopping the server keeps the schedules
                deployment = client.read_deployment_by_name(f"{flow.name}/{DEPLOYMENT}")
                assert not deployment.paused
                assert all(s.active for s in deployment.schedules)
    finally:
        if serve.poll() is None:
            serve.kill()
        log.close()
        if serve.returncode not in (0, -signal.SIGINT, 130, None):
            print((tmp_path / "serve.log").read_text()[-3000:])  # noqa: T201  (diagnostics on failure)
