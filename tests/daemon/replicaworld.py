"""A fleet for the replica tests: many repositories and policies, automations on a few remotes.

Each remote holds one Deployment file per image, split between two automations that push to the
same branch (so the branch lease matters). Also a registry that never answers, to keep scans
running (and their leases held) for as long as a test needs.
"""

from __future__ import annotations

import socket
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.rig.git_remotes import init_bare, seed

FILE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app{i}, namespace: prod}}
spec:
  template:
    spec:
      containers:
        - name: app
          image: {image}:{tag} # {{"$imagepolicy": "apps:app{i}"}}
"""


@dataclass(frozen=True)
class Fleet:
    host: str
    repos: tuple[str, ...]
    remotes: tuple[Path, ...]

    def image(self, i: int) -> str:
        return f"{self.host}/{self.repos[i]}"

    def remote_of(self, i: int) -> Path:
        return self.remotes[i % len(self.remotes)]

    def path_of(self, i: int) -> str:
        return f"clusters/{'a' if (i // len(self.remotes)) % 2 == 0 else 'b'}/app{i}.yaml"

    def file(self, i: int, tag: str) -> str:
        return FILE.format(i=i, image=self.image(i), tag=tag)


def make_fleet(root: Path, host: str, repos: list[str], n_remotes: int) -> Fleet:
    remotes = []
    for r in range(n_remotes):
        path = root / f"remote{r}.git"
        path.mkdir()
        init_bare(path)
        remotes.append(path)
    fleet = Fleet(host, tuple(repos), tuple(remotes))
    for r, remote in enumerate(remotes):
        files = {
            fleet.path_of(i): fleet.file(i, "1.0.0")
            for i in range(len(repos))
            if i % n_remotes == r
        }
        seed(remote, files, "seed")
    return fleet


def policy_text(fleet: Fleet, scan_interval: str, *, insecure: bool = True) -> str:
    docs = []
    for r, remote in enumerate(fleet.remotes):
        docs.append(f"""\
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata: {{name: fleet{r}, namespace: apps}}
            spec: {{url: {remote.as_uri()}, ref: {{branch: main}}}}
            """)
        for part in ("a", "b"):
            docs.append(f"""\
                apiVersion: image.toolkit.fluxcd.io/v1
                kind: ImageUpdateAutomation
                metadata: {{name: fleet{r}-{part}, namespace: apps}}
                spec:
                  interval: 1h
                  sourceRef: {{kind: GitRepository, name: fleet{r}}}
                  git:
                    commit:
                      author: {{name: bot, email: bot@example.com}}
                      messageTemplate: "Update {{{{ .AutomationObject }}}}"
                  update: {{path: ./clusters/{part}}}
                """)
    for i in range(len(fleet.repos)):
        docs.append(f"""\
            apiVersion: image.toolkit.fluxcd.io/v1
            kind: ImageRepository
            metadata: {{name: app{i}, namespace: apps}}
            spec: {{image: {fleet.image(i)}, interval: {scan_interval}, insecure: {insecure}}}
            ---
            apiVersion: image.toolkit.fluxcd.io/v1
            kind: ImagePolicy
            metadata: {{name: app{i}, namespace: apps}}
            spec:
              imageRepositoryRef: {{name: app{i}}}
              policy: {{semver: {{range: "^1.0"}}}}
            """)
    return "---\n".join(textwrap.dedent(d) for d in docs)


@contextmanager
def silent_registry() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers: `host:port`."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()
