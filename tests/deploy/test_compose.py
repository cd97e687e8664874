"""docker-compose.yml is written for users (no Docker engine here): parse it, check its wiring, and start
the same services as processes against a real Postgres."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import inspect

from core.db.engine import make_engine
from tests.processes import free_port, stop, wait_http

ROOT = Path(__file__).resolve().parents[2]
LONG_RUNNING = ("prefect-server", "flows", "console")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return data


def test_services_wait_for_what_they_need(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"postgres", "migrate", *LONG_RUNNING}
    assert "healthcheck" in services["postgres"]
    for name, service in services.items():
        if name == "postgres":
            continue
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
    for name in ("flows", "console"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert services[name]["environment"]["PROMPTLOOP_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert services["flows"]["depends_on"]["prefect-server"]["condition"] == "service_healthy"
    assert services["flows"]["environment"]["PREFECT_API_URL"] == "http://prefect-server:4200/api"
    for name in ("prefect-server", "console"):
        assert "healthcheck" in services[name], name
    assert services["migrate"]["restart"] == "no"
    init = services["postgres"]["volumes"][1].split(":")[0]
    assert "CREATE DATABASE prefect" in (ROOT / init).read_text()


def test_every_service_command_exists(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        command = service.get("command")
        if command is None:
            continue
        module = {"promptloop": "flows.cli", "prefect": "prefect"}[command[0]]
        result = subprocess.run(
            [sys.executable, "-m", module, *command[1:], "--help"],
            capture_output=True, text=True, cwd=ROOT, check=False, timeout=120,
        )  # fmt: skip
        assert result.returncode == 0, f"{name}: {result.stderr}"


def test_dockerfile_copies_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("core", "flows", "console", "api", "sql"):
        assert f"COPY {package} ./{package}" in dockerfile


def _interpolate(value: str) -> str:
    """Compose's ${NAME} and ${NAME:-default}, from this process's environment."""
    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: os.environ.get(m[1]) or (m[2] or ""), value)


def _env(service: dict[str, Any], **overrides: str) -> dict[str, str]:
    compose_env = {k: _interpolate(str(v)) for k, v in service.get("environment", {}).items()}
    return os.environ | compose_env | overrides


@pytest.mark.slow
def test_the_services_start_as_processes(compose: dict[str, Any], empty_database_url: str, tmp_path: Path) -> None:
    """Prefect's server runs on SQLite here: it needs the pg_trgm extension, which the embedded
    Postgres wheel does not ship (the postgres image of docker-compose.yml does)."""
    services = compose["services"]
    home = str(tmp_path / "home")
    # migrate, then exit
    migrate = services["migrate"]
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", *migrate["command"][1:]],
        env=_env(migrate, PROMPTLOOP_DATABASE_URL=empty_database_url, PROMPTLOOP_HOME=home),
        capture_output=True, text=True, cwd=ROOT, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    engine = make_engine(empty_database_url)
    try:
        assert {"prompts", "executions", "change_requests", "insights"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()

    prefect_port, console_port = free_port(), free_port()
    api = f"http://127.0.0.1:{prefect_port}/api"
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str, argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"{name}.log"
        process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        started.append(process)
        return process, log

    try:
        server = services["prefect-server"]
        command = list(server["command"][1:])
        command[command.index("--host") + 1], command[command.index("--port") + 1] = "127.0.0.1", str(prefect_port)
        process, log = start(
            "prefect-server",
            [sys.executable, "-m", "prefect", *command],
            _env(
                server,
                PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}",
                PREFECT_HOME=str(tmp_path / "prefect-home"),
            ),
        )
        wait_http(f"{api}/health", 180, process, log)

        shared = {"PROMPTLOOP_DATABASE_URL": empty_database_url, "PROMPTLOOP_HOME": home, "PREFECT_API_URL": api}
        process, log = start("flows", [sys.executable, "-m", "flows.cli", "serve"], _env(services["flows"], **shared))
        wait_http(f"{api}/deployments/name/insight-discovery/scheduled", 180, process, log)
        wait_http(f"{api}/deployments/name/policy-update/scheduled", 30, process, log)

        console = services["console"]
        argv = [sys.executable, "-m", "flows.cli", *console["command"][1:]]
        argv[argv.index("--port") + 1] = str(console_port)
        argv[argv.index("--address") + 1] = "127.0.0.1"
        process, log = start("console", argv, _env(console, **shared))
        wait_http(f"http://127.0.0.1:{console_port}/_stcore/health", 120, process, log)
    finally:
        stop(*reversed(started))
