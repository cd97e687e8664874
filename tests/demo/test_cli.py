"""`promptloop seed-demo` on an empty database, and its refusal on a non-empty one."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from flows.cli.main import app

ARGS = ["seed-demo", "--days", "21", "--scale", "0.02", "--seed", "7", "--end", "2026-03-02"]


def test_seed_demo_fills_an_empty_database_then_refuses(cli_env: dict[str, str]) -> None:
    runner = CliRunner(env=cli_env)
    result = runner.invoke(app, [*ARGS, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [p["prompt"] for p in summary["prompts"]] == [
        "thought_to_intent", "dimension_extraction", "planning", "lead_enrichment_en", "lead_enrichment_fr"
    ]  # fmt: skip
    assert summary["stored_executions"] == summary["executions"] > 0
    assert summary["start"] == "2026-02-09" and summary["end"] == "2026-03-02"

    refused = runner.invoke(app, ARGS)
    assert refused.exit_code == 1
    assert "error: the database already holds data (5 prompt(s), some executions)" in refused.output
    assert "--force" in refused.output and "Traceback" not in refused.output

    forced = runner.invoke(app, [*ARGS, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "stored 0 executions and 0 outcomes" in forced.stdout
    assert "(existing prompt kept)" in forced.stdout and "PLANTED.md" in forced.stdout


def test_seed_demo_rejects_a_bad_end_date(cli_env: dict[str, str]) -> None:
    result = CliRunner(env=cli_env).invoke(app, ["seed-demo", "--end", "2026-13-01"])
    assert result.exit_code == 2
    assert "is not a date (YYYY-MM-DD)" in result.output
