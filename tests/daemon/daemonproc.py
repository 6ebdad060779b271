"""`image-automation run` as a child process, its JSON log lines, and bounded waits.

Every test that starts one stops it at teardown (the `daemon` fixture), whatever happened.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.rig.registry import RegistryServer

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app, namespace: prod}}
spec:
  template:
    spec:
      containers:
        - name: app
          image: {image}:1.0.0 # {{"$imagepolicy": "apps:app"}}
"""


def policies(
    registry: RegistryServer,
    repo: str,
    remote_url: str,
    *,
    scan_interval: str = "2s",
    automation_interval: str = "1h",
    semver: str = "^1.0",
) -> str:
    return textwrap.dedent(f"""\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {{name: fleet, namespace: apps}}
        spec:
          url: {remote_url}
          ref: {{branch: main}}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageRepository
        metadata: {{name: app, namespace: apps}}
        spec:
          image: {registry.host}/{repo}
          interval: {scan_interval}
          insecure: true
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImagePolicy
        metadata: {{name: app, namespace: apps}}
        spec:
          imageRepositoryRef: {{name: app}}
          policy:
            semver: {{range: "{semver}"}}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageUpdateAutomation
        metadata: {{name: fleet, namespace: apps}}
        spec:
          interval: {automation_interval}
          sourceRef: {{kind: GitRepository, name: fleet}}
          git:
            commit:
              author: {{name: bot, email: bot@example.com}}
              messageTemplate: "Update {{{{ .AutomationObject }}}}"
          update: {{path: ./clusters}}
        """)


@dataclass
class DaemonProcess:
    popen: subprocess.Popen[bytes]
    log_path: Path
    state: Path
    _offset: int = field(default=0)

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for raw in self.log_path.read_text(errors="replace").splitlines():
            try:
                out.append(json.loads(raw))
            except ValueError:
                out.append({"msg": raw, "level": "raw"})
        return out

    def messages(self) -> list[str]:
        return [str(line.get("msg", "")) for line in self.lines()]

    def wait_for_log(self, predicate: Callable[[str], bool], timeout: float = 20.0) -> str:
        found = wait_until(
            lambda: next((m for m in self.messages() if predicate(m)), None), timeout, self
        )
        return str(found)

    def terminate(self, timeout: float = 30.0) -> int:
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout=timeout)

    def tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-40:])


def wait_until(probe: Callable[[], Any], timeout: float, proc: DaemonProcess | None = None) -> Any:
    """Poll `probe` until it returns something truthy; fail with the daemon log on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        if proc is not None and proc.popen.poll() is not None:
            pytest.fail(f"daemon exited with {proc.popen.returncode}:\n{proc.tail()}")
        time.sleep(0.1)
    pytest.fail(f"not seen within {timeout}s" + (f":\n{proc.tail()}" if proc else ""))


StartDaemon = Callable[..., DaemonProcess]


@pytest.fixture
def start_daemon(tmp_path: Path) -> Iterator[StartDaemon]:
    started: list[DaemonProcess] = []

    def start(*sources: str, extra: tuple[str, ...] = (), name: str = "daemon") -> DaemonProcess:
        log_path = tmp_path / f"{name}-{len(started)}.log"
        state = tmp_path / "state.db"
        argv = [
            sys.executable, "-m", "automation", "--log-format", "json", "run", *sources,
            "--state", str(state), "--cache", str(tmp_path / "cache"),
            "--listen", "off", "--reload-interval", "1s", *extra,
        ]  # fmt: skip
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        proc = DaemonProcess(popen, log_path, state)
        started.append(proc)
        proc.wait_for_log(lambda m: m.startswith("daemon started"))
        return proc

    yield start
    for proc in started:
        if proc.popen.poll() is None:
            proc.popen.kill()
            proc.popen.wait(timeout=10)
