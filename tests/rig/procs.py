"""Start and stop the server processes the tests run against (registry, git daemons, sshd).

In: an argv, a log file and a readiness probe. Out: a ``ManagedProcess`` that is stopped by its
pid (terminate, then kill after a timeout). Two nets catch what a fixture teardown misses: an
``atexit`` hook stops every process still running at interpreter exit, and (util-linux
``setpriv --pdeathsig``) the kernel sends SIGTERM to the child when the thread that started it
dies, even by SIGKILL or the OOM killer. Start long-lived servers from the main thread (or pass
``die_with_parent=False``): a worker thread that exits would take its child with it.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

READY_POLL_SECONDS = 0.05


class ProcessStartError(RuntimeError):
    """A server process exited or never became ready; the message carries its log tail."""

    def __init__(self, message: str, *, exited: bool) -> None:
        super().__init__(message)
        self.exited = exited


@dataclass(eq=False)
class ManagedProcess:
    """A child process whose output goes to ``log_path``."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate, wait up to ``timeout`` seconds, then kill. Safe to call twice."""
        _LIVE.discard(self)
        if self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=timeout)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


_LIVE: set[ManagedProcess] = set()


def start_process(
    name: str,
    argv: Sequence[str],
    *,
    log_path: Path,
    ready: Callable[[], bool],
    timeout: float = 15.0,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    die_with_parent: bool = True,
) -> ManagedProcess:
    """Start ``argv`` and wait until ``ready()`` is true; raise ProcessStartError otherwise."""
    setpriv = shutil.which("setpriv") if die_with_parent else None
    # setpriv execs argv in place, so the pid we keep is the server's own.
    command = [setpriv, "--pdeathsig", "TERM", "--", *argv] if setpriv else list(argv)
    with log_path.open("ab") as log:
        popen = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
        )
    proc = ManagedProcess(name=name, popen=popen, log_path=log_path)
    _LIVE.add(proc)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.running():
            proc.stop()
            raise ProcessStartError(
                f"{name} exited with {popen.returncode} while starting; log tail:\n"
                + proc.log_tail(),
                exited=True,
            )
        if ready():
            return proc
        time.sleep(READY_POLL_SECONDS)
    proc.stop()
    raise ProcessStartError(
        f"{name} was not ready after {timeout:.0f}s; log tail:\n" + proc.log_tail(), exited=False
    )


@atexit.register
def _stop_leftovers() -> None:
    for proc in list(_LIVE):
        proc.stop(timeout=2.0)
