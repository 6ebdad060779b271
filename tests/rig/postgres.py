"""A real PostgreSQL server from Debian's `postgresql` package, for the state store tests.

`initdb` makes a cluster in a fresh temporary directory with password (SCRAM) authentication;
`postgres` runs in the foreground on a free loopback port, no Unix socket, and is stopped by
its pid. PostgreSQL refuses to run as root, so when the suite runs as root the cluster belongs
to `nobody` and both programs drop to it (util-linux `setpriv`).

Session fixture `postgres_server`; `postgres_url` gives each test its own empty database.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.rig.ports import free_port
from tests.rig.procs import ManagedProcess, start_process

USER = "automation"
PASSWORD = "rig-password-not-secret"


def postgres_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_user() -> tuple[list[str], int | None, int | None]:
    """setpriv prefix and uid/gid to run as, when we are root; nothing otherwise."""
    if os.geteuid() != 0:
        return [], None, None
    nobody = pwd.getpwnam("nobody")
    prefix = [
        "setpriv",
        f"--reuid={nobody.pw_uid}",
        f"--regid={nobody.pw_gid}",
        "--clear-groups",
        "--",
    ]
    return prefix, nobody.pw_uid, nobody.pw_gid


@dataclass
class PostgresServer:
    root: Path
    port: int
    proc: ManagedProcess | None = None
    settings: dict[str, str] = field(default_factory=dict)  # extra `-c NAME=VALUE`
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                pass
        except OSError:
            return False
        return (
            subprocess.run(
                [
                    postgres_bin("pg_isready") or "pg_isready",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                ],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )

    def start(self) -> None:
        prefix, _, _ = _as_user()
        argv = [
            *prefix,
            postgres_bin("postgres") or "postgres",
            "-D",
            str(self.data),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
            *(arg for k, v in self.settings.items() for arg in ("-c", f"{k}={v}")),
        ]
        self.proc = start_process(
            "postgres",
            argv,
            log_path=self.root / "postgres.log",
            ready=self.answers,
            timeout=30,
            die_with_parent=False,
        )

    def stop(self) -> None:
        """Fast shutdown by pid (SIGINT: roll back open transactions, disconnect clients)."""
        if self.proc is None or not self.proc.running():
            return
        os.kill(self.proc.pid, signal.SIGINT)
        try:
            self.proc.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.stop()
        self.proc.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_database(self) -> str:
        """A new empty database; its URL (no password: tests pass it via PGPASSWORD)."""
        import psycopg

        name = f"t{next(self._names)}_{os.getpid()}"
        with psycopg.connect(self.url(), password=PASSWORD, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.url(name)


def launch(base: Path | None = None, settings: dict[str, str] | None = None) -> PostgresServer:
    initdb = postgres_bin("initdb")
    if initdb is None:
        pytest.skip("PostgreSQL is not installed (scripts/setup.sh installs it)")
    root = Path(tempfile.mkdtemp(prefix="ia-postgres-", dir=base))
    prefix, uid, gid = _as_user()
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD)
    if uid is not None and gid is not None:
        os.chown(root, uid, gid)
        os.chown(pwfile, uid, gid)
    subprocess.run(
        [
            *prefix,
            initdb,
            "-D",
            str(root / "data"),
            "-U",
            USER,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
    )
    server = PostgresServer(root, free_port(), settings=dict(settings or {}))
    server.start()
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = launch()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database on the session server; PGPASSWORD set for this test."""
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    return postgres_server.create_database()
