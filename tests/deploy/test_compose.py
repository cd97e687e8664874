"""docker-compose.yml is written for users (no Docker engine here): parse it, check its wiring, and run
each promptloop service's command as a real process against a real Postgres."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import inspect

from core.db.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_services_wait_for_a_healthy_database(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "healthcheck" in services["postgres"]
    for name, service in services.items():
        if name == "postgres":
            continue
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        env = service["environment"]
        assert env["PROMPTLOOP_DATABASE_URL"].startswith("postgresql+psycopg://"), name
    assert services["migrate"]["restart"] == "no"


def test_every_service_command_is_a_real_cli_command(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        command = service.get("command")
        if name == "postgres" or command is None:
            continue
        assert command[0] == "promptloop", name
        result = subprocess.run(
            [sys.executable, "-m", "flows.cli", *command[1:], "--help"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
        assert result.returncode == 0, f"{name}: {result.stderr}"


def test_dockerfile_copies_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("core", "flows", "console", "api", "sql"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_migrate_service_runs_as_a_process(compose: dict[str, Any], empty_database_url: str, tmp_path: Path) -> None:
    """The migrate service's command, with the service's environment pointed at a real server."""
    service = compose["services"]["migrate"]
    env = os.environ | {k: str(v) for k, v in service["environment"].items()}
    env |= {"PROMPTLOOP_DATABASE_URL": empty_database_url, "PROMPTLOOP_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", *service["command"][1:]],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    engine = make_engine(empty_database_url)
    try:
        assert {"prompts", "prompt_versions", "audit_events"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
