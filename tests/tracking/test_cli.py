"""`promptloop ingest` and `promptloop rollups refresh` against a real database."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from flows.cli.main import app
from tests.tracking.conftest import execution, outcome

runner = CliRunner()


def _write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT count(*) FROM executions")).scalar_one(),
            conn.execute(text("SELECT count(*) FROM outcomes")).scalar_one(),
        )


def _bad_file(tmp_path: Path) -> Path:
    return _write_jsonl(
        tmp_path / "batch.jsonl",
        [
            json.dumps(execution(1)),
            "",
            json.dumps(execution(2, prompt_tokens="lots")),
            "{not json",
            json.dumps(outcome(1, 1, "USER_CORRECTION", original="mail me at bob@example.com", corrected="ok")),
            json.dumps(execution(3, version="7.0.0")),
        ],
    )


def test_ingest_a_good_file_then_replay_it(registry: Engine, cli_env: dict[str, str], tmp_path: Path) -> None:
    good = _write_jsonl(
        tmp_path / "good.jsonl",
        [json.dumps(execution(i)) for i in range(3)] + [json.dumps(outcome(1, 0, "USER_RATING"))],
    )

    first = runner.invoke(app, ["ingest", str(good)], env=cli_env)
    again = runner.invoke(app, ["ingest", str(good), "--json"], env=cli_env)
    refreshed = runner.invoke(app, ["rollups", "refresh"], env=cli_env)

    assert first.exit_code == 0, first.output
    assert "accepted 4 (3 executions, 1 outcomes), duplicates 0, rejected 0" in first.output
    assert json.loads(again.output)["duplicates"] == 4
    assert refreshed.exit_code == 0 and "full refresh" in refreshed.output
    assert _counts(registry) == (3, 1)


def test_a_bad_file_writes_nothing_and_lists_each_problem_with_its_line(
    registry: Engine, cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = runner.invoke(app, ["ingest", str(_bad_file(tmp_path))], env=cli_env)

    assert result.exit_code == 1
    assert result.output.startswith("error: 3 invalid record(s), nothing was written")
    assert "line 3 (id 'exec-2'): prompt_tokens:" in result.output
    assert "line 4: not valid JSON" in result.output
    assert "line 6 (id 'exec-3'): version: prompt 'intent' has no version '7.0.0'" in result.output
    assert "Traceback" not in result.output
    assert _counts(registry) == (0, 0)


def test_skip_invalid_loads_the_valid_lines_and_writes_the_rejects(
    registry: Engine, cli_env: dict[str, str], tmp_path: Path
) -> None:
    source = _bad_file(tmp_path)
    out = tmp_path / "rejects.jsonl"

    result = runner.invoke(app, ["ingest", str(source), "--skip-invalid", "--rejects", str(out)], env=cli_env)

    assert result.exit_code == 0, result.output
    assert "accepted 2 (1 executions, 1 outcomes), duplicates 0, rejected 3" in result.output
    rejects = [json.loads(line) for line in out.read_text().splitlines()]
    original_lines = source.read_text().splitlines()
    assert [r["line"] for r in rejects] == [3, 4, 6]
    assert [r["original"] for r in rejects] == [original_lines[2], original_lines[3], original_lines[5]]
    assert all(r["reason"] for r in rejects)
    assert _counts(registry) == (1, 1)
    with registry.connect() as conn:
        assert conn.execute(text("SELECT original FROM outcomes")).scalar_one() == "mail me at [EMAIL]"


def test_csv_with_documented_columns(registry: Engine, cli_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_text(
        "type,id,occurred_at,prompt,version,label,sections,prompt_tokens,latency_ms,segment.expertise,"
        "execution_id,kind,original,corrected,rating\n"
        "execution,e1,2026-11-20T10:00:00Z,intent,1.0.0,production,identity|tone,120,80.5,novice,,,,,\n"
        'outcome,o1,2026-11-20T10:01:00Z,,,,,,,,e1,USER_CORRECTION,"two, please","three, please",\n'
        "outcome,o2,2026-11-20T10:02:00Z,,,,,,,,e1,USER_RATING,,,6\n",
        encoding="utf-8",
    )

    result = runner.invoke(app, ["ingest", str(path), "--skip-invalid"], env=cli_env)

    assert result.exit_code == 0, result.output
    assert "rejected 1" in result.output and "line 4 (id 'o2'): rating:" in result.output
    with registry.connect() as conn:
        row = conn.execute(text("SELECT section_ids, segment, accuracy_kind FROM executions")).one()
    assert row == (["identity", "tone"], {"expertise": "novice"}, "USER_CORRECTION")


def test_rejects_option_needs_skip_invalid(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "x.jsonl", [json.dumps(execution(1))])
    result = runner.invoke(app, ["ingest", str(path), "--rejects", str(tmp_path / "r.jsonl")], env=cli_env)
    assert result.exit_code == 1 and "--rejects needs --skip-invalid" in result.output
