"""`promptloop console` listens where it is told, and only on loopback unless told otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.deploy.test_compose import ROOT
from tests.processes import free_port, stop, wait_http


def _listening(pid: int, port: int) -> set[str]:
    """The addresses the process tree listens on at ``port``."""
    root = psutil.Process(pid)
    addresses = set()
    for process in [root, *root.children(recursive=True)]:
        for connection in process.net_connections(kind="inet"):
            if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port:
                addresses.add(connection.laddr.ip)
    return addresses


@pytest.mark.parametrize(("args", "expected"), [([], {"127.0.0.1"}), (["--address", "0.0.0.0"], {"0.0.0.0"})])
def test_console_binds_loopback_by_default_and_the_given_address_otherwise(
    cli_env: dict[str, str], tmp_path: Path, args: list[str], expected: set[str]
) -> None:
    port = free_port()
    log = tmp_path / "console.log"
    argv = [sys.executable, "-m", "flows.cli", "console", "--port", str(port), *args]
    env = os.environ | cli_env
    env.pop("PROMPTLOOP_CONSOLE_ADDRESS", None)
    process = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        wait_http(f"http://127.0.0.1:{port}/_stcore/health", 120, process, log)
        assert _listening(process.pid, port) == expected
    finally:
        stop(process)
