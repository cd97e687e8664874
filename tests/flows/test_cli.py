"""`promptloop flows list|run|trigger`: Prefect imported only by these commands."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.main import app
from flows.schedules import CATALOGUE, DEPLOYMENT

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runner(cli_env: dict[str, str], prefect_harness: None) -> CliRunner:
    return CliRunner(env=cli_env)


def test_list_shows_every_schedule(runner: CliRunner) -> None:
    listed = json.loads(runner.invoke(app, ["flows", "list", "--json"]).output)
    assert [f["name"] for f in listed] == ["insight-discovery", "optimization-report", "policy-update"]
    assert {f["name"]: f["cron"] for f in listed}["optimization-report"] == "0 6 * * 1"


def test_run_a_flow_in_process_and_print_its_summary(runner: CliRunner) -> None:
    result = runner.invoke(app, ["flows", "run", "insight_discovery", "--param", "now=2026-03-02T00:00:00Z", "--json"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()  # Prefect's run logs may come first, on the same stream
    summary = json.loads("\n".join(lines[lines.index("{") :]))
    assert summary["prompts"] == 0  # an empty database: nothing to find, and nothing fails
    assert summary["errors"] == {}


def test_unknown_flow_and_bad_params_are_one_clear_line(runner: CliRunner) -> None:
    unknown = runner.invoke(app, ["flows", "run", "nope"])
    assert unknown.exit_code == 1
    assert "unknown flow 'nope' (known: insight-discovery, optimization-report, policy-update)" in unknown.output
    bad = runner.invoke(app, ["flows", "run", "insight-discovery", "--param", "oops"])
    assert bad.exit_code == 1
    assert "expected key=value, got 'oops'" in bad.output


def test_trigger_submits_a_run_to_the_served_deployment(runner: CliRunner) -> None:
    missing = runner.invoke(app, ["flows", "trigger", "policy-update"])
    assert missing.exit_code == 1
    assert "start `promptloop serve`" in missing.output
    flow = next(f for f in CATALOGUE if f.name == "policy-update")
    flow.load().to_deployment(DEPLOYMENT).apply()
    result = runner.invoke(app, ["flows", "trigger", "policy-update"])
    assert result.exit_code == 0, result.output
    run_id = uuid.UUID(result.output.strip().splitlines()[-1])

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    assert run.state is not None
    assert run.state.is_scheduled()


def test_commands_that_do_not_need_prefect_do_not_import_it() -> None:
    code = "import sys; from flows.cli.main import app; print('prefect' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"
