"""Real git remotes on loopback for the tests: file://, smart HTTP with basic auth, and ssh.

Fixtures (a pytest plugin registered in tests/conftest.py):
- ``bare_remote``: a bare repository reached over ``file://``, seeded with one commit on ``main``.
- ``http_remote``: a bare repository served by ``git http-backend`` behind basic auth
  (tests/rig/git_http_server.py, one server process per session, one repository per test).
- ``https_remote``: the same over HTTPS with a certificate from a private CA (``ca_bundle``).
- ``ssh_remote``: a bare repository served by a private ``sshd`` on a free loopback port with its
  own host key and one authorized ed25519 client key (one sshd per session).
- ``redirecting_remote``: a URL whose server answers 302 to another loopback port (another
  origin) whose server records every ``Authorization`` header (tests/rig/redirect_server.py).

Each yields a ``GitRemote``: the URL (no credentials in it), the bare repository path, and the
credentials a client needs. Servers are stopped by pid at teardown (tests/rig/procs.py).
Helpers: ``git``, ``seed``, ``clone_and_commit`` (another client pushes), ``read_file_at``,
``log``, ``head``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.rig.ports import LOCALHOST, free_port, is_listening
from tests.rig.procs import ManagedProcess, ProcessStartError, start_process

HTTP_USER = "automation"
HTTP_PASSWORD = "s3cr3t-Pa55word"
HTTP_TOKEN = "tok-9f8e7d6c5b4a"
SEED_FILES = {"README.md": "seed\n"}
_IDENTITY = {"GIT_AUTHOR_NAME": "Rig", "GIT_AUTHOR_EMAIL": "rig@example.com"}
_IDENTITY |= {"GIT_COMMITTER_NAME": "Rig", "GIT_COMMITTER_EMAIL": "rig@example.com"}


@dataclass(frozen=True)
class GitRemote:
    """A bare repository on a server. ``url`` never carries credentials."""

    url: str
    path: Path
    username: str = ""
    password: str = ""
    identity: bytes = b""
    known_hosts: bytes = b""
    wrong_known_hosts: bytes = b""
    bearer_token: str = ""
    ca_bundle: bytes = b""

    @property
    def file_url(self) -> str:
        return self.path.as_uri()


def git(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    """Run git, return stdout; raise with stderr on failure. Global/system config is ignored."""
    full_env = {**os.environ, **_IDENTITY, "GIT_CONFIG_GLOBAL": "/dev/null"}
    full_env |= {"GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0", **(env or {})}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=full_env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return done.stdout


def _write_files(root: Path, files: Mapping[str, str | bytes] | Path) -> None:
    if isinstance(files, Path):
        shutil.copytree(files, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
        git("add", "-A", cwd=root)
        return
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    git("add", "-A", cwd=root)


def init_bare(path: Path) -> Path:
    """Create a bare repository that accepts pushes (also over HTTP) and push options."""
    git("init", "--bare", "--quiet", "--initial-branch=main", str(path))
    git("config", "http.receivepack", "true", cwd=path)
    git("config", "gc.auto", "0", cwd=path)
    git("config", "receive.advertisePushOptions", "true", cwd=path)
    return path


def seed(
    remote: GitRemote | Path,
    files: Mapping[str, str | bytes] | Path = SEED_FILES,
    message: str = "initial commit",
    branch: str = "main",
) -> str:
    """Commit ``files`` (a dict path -> content, or a directory) on top of ``branch``; push it."""
    bare = remote.path if isinstance(remote, GitRemote) else remote
    return clone_and_commit(bare.as_uri(), files, message, branch=branch)


def clone_and_commit(
    remote: GitRemote | str,
    files: Mapping[str, str | bytes] | Path,
    message: str,
    branch: str = "main",
    base: str = "main",
) -> str:
    """Act as another client: clone (over file://), commit ``files`` on ``branch``, push.

    A branch the remote does not have yet starts from ``base`` (or from nothing when that is
    missing too). Returns the new commit sha.
    """
    url = remote.file_url if isinstance(remote, GitRemote) else remote
    with tempfile.TemporaryDirectory(prefix="other-client-") as tmp:
        work = Path(tmp)
        git("init", "--quiet", f"--initial-branch={branch}", cwd=work)
        git("config", "gc.auto", "0", cwd=work)  # no detached gc racing the cleanup
        git("remote", "add", "origin", url, cwd=work)
        for start in (branch, base):
            if git("ls-remote", "origin", f"refs/heads/{start}", cwd=work).strip():
                git("fetch", "--quiet", "origin", start, cwd=work)
                git("reset", "--quiet", "--hard", "FETCH_HEAD", cwd=work)
                break
        _write_files(work, files)
        git("commit", "--quiet", "--allow-empty", "-m", message, cwd=work)
        git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", cwd=work)
        return git("rev-parse", "HEAD", cwd=work).strip()


def _bare(remote: GitRemote | Path) -> Path:
    return remote.path if isinstance(remote, GitRemote) else remote


def read_file_at(remote: GitRemote | Path, branch: str, path: str) -> str:
    """The content of ``path`` at the tip of ``branch`` on the remote."""
    return git("show", f"refs/heads/{branch}:{path}", cwd=_bare(remote))


def log(remote: GitRemote | Path, branch: str) -> list[str]:
    """Full commit messages of ``branch``, newest first."""
    out = git("log", "--format=%B%x00", f"refs/heads/{branch}", cwd=_bare(remote))
    return [m.strip("\n") for m in out.split("\x00") if m.strip("\n")]


def head(remote: GitRemote | Path, branch: str) -> str | None:
    """The sha of ``branch`` on the remote, or None when it does not exist."""
    out = git("for-each-ref", "--format=%(objectname)", f"refs/heads/{branch}", cwd=_bare(remote))
    return out.strip() or None


def _start_with_retries(
    name: str,
    argv_for_port: Callable[[int], list[str]],
    log_path: Path,
    env: Mapping[str, str] | None = None,
) -> tuple[int, ManagedProcess]:
    for _ in range(3):
        port = free_port()
        try:
            proc = start_process(
                name,
                argv_for_port(port),
                log_path=log_path,
                env=env,
                ready=lambda p=port: is_listening(p),  # type: ignore[misc]
            )
        except ProcessStartError as err:
            if err.exited:
                continue
            raise
        return port, proc
    raise RuntimeError(f"{name} could not bind a port after 3 tries")


@dataclass(frozen=True)
class _HttpServer:
    root: Path
    port: int
    ca_bundle: bytes = b""


def _http_server(root: Path, tls: tuple[Path, Path] | None) -> tuple[int, ManagedProcess]:
    script = Path(__file__).with_name("git_http_server.py")
    env = {**os.environ, "GIT_HTTP_USER": HTTP_USER, "GIT_HTTP_PASSWORD": HTTP_PASSWORD}
    env["GIT_HTTP_TOKEN"] = HTTP_TOKEN
    extra = [str(path) for path in tls] if tls else []
    return _start_with_retries(
        "git-https" if tls else "git-http",
        lambda p: [sys.executable, str(script), str(root), str(p), *extra],
        log_path=root.parent / f"{root.name}.log",
        env=env,
    )


@pytest.fixture(scope="session")
def _git_http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_HttpServer]:
    root = tmp_path_factory.mktemp("git-http")
    port, proc = _http_server(root, None)
    yield _HttpServer(root, port)
    proc.stop()


@pytest.fixture(scope="session")
def _git_https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_HttpServer]:
    from tests.rig.certs import localhost_server_cert, new_ca

    root = tmp_path_factory.mktemp("git-https")
    ca = new_ca()
    tls = localhost_server_cert(ca).write(root.parent, "git-https-server")
    port, proc = _http_server(root, tls)
    yield _HttpServer(root, port, ca.cert_pem)
    proc.stop()


@dataclass(frozen=True)
class _SshServer:
    root: Path
    port: int
    identity: bytes
    known_hosts: bytes
    wrong_known_hosts: bytes


def _keygen(path: Path, comment: str) -> bytes:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
    )
    return path.with_suffix(".pub").read_bytes()


def _sshd_config(root: Path, port: int) -> Path:
    config = root / f"sshd_config_{port}"
    config.write_text(
        f"Port {port}\nListenAddress {LOCALHOST}\nHostKey {root / 'host_key'}\n"
        f"PidFile {root / f'sshd_{port}.pid'}\nAuthorizedKeysFile {root / 'authorized_keys'}\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\n"
        "StrictModes no\nLogLevel ERROR\n"
    )
    return config


@pytest.fixture(scope="session")
def _sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_SshServer]:
    root = tmp_path_factory.mktemp("sshd")
    host_pub = _keygen(root / "host_key", "host").split()
    client_pub = _keygen(root / "client_key", "client")
    other_pub = _keygen(root / "other_key", "other").split()
    (root / "authorized_keys").write_bytes(client_pub)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    port, proc = _start_with_retries(
        "sshd",
        lambda p: ["/usr/sbin/sshd", "-D", "-e", "-f", str(_sshd_config(root, p))],
        log_path=root / "sshd.log",
    )
    host = f"[{LOCALHOST}]:{port}".encode()
    yield _SshServer(
        root=root,
        port=port,
        identity=(root / "client_key").read_bytes(),
        known_hosts=b" ".join([host, host_pub[0], host_pub[1]]) + b"\n",
        wrong_known_hosts=b" ".join([host, other_pub[0], other_pub[1]]) + b"\n",
    )
    proc.stop()


def _new_repo(root: Path) -> Path:
    return init_bare(root / f"repo-{uuid.uuid4().hex[:10]}.git")


@pytest.fixture
def bare_remote(tmp_path: Path) -> GitRemote:
    path = init_bare(tmp_path / "remote.git")
    remote = GitRemote(url=path.as_uri(), path=path)
    seed(remote)
    return remote


@pytest.fixture
def http_remote(_git_http_server: _HttpServer) -> GitRemote:
    path = _new_repo(_git_http_server.root)
    remote = GitRemote(
        url=f"http://{LOCALHOST}:{_git_http_server.port}/{path.name}",
        path=path,
        username=HTTP_USER,
        password=HTTP_PASSWORD,
        bearer_token=HTTP_TOKEN,
    )
    seed(remote)
    return remote


@pytest.fixture
def https_remote(_git_https_server: _HttpServer) -> GitRemote:
    """HTTPS with a certificate from a private CA (``ca_bundle``); basic auth or a token."""
    path = _new_repo(_git_https_server.root)
    remote = GitRemote(
        url=f"https://{LOCALHOST}:{_git_https_server.port}/{path.name}",
        path=path,
        username=HTTP_USER,
        password=HTTP_PASSWORD,
        bearer_token=HTTP_TOKEN,
        ca_bundle=_git_https_server.ca_bundle,
    )
    seed(remote)
    return remote


@pytest.fixture
def ssh_remote(_sshd: _SshServer) -> GitRemote:
    path = _new_repo(_sshd.root)
    remote = GitRemote(
        url=f"ssh://root@{LOCALHOST}:{_sshd.port}{path}",
        path=path,
        identity=_sshd.identity,
        known_hosts=_sshd.known_hosts,
        wrong_known_hosts=_sshd.wrong_known_hosts,
    )
    seed(remote)
    return remote


@dataclass(frozen=True)
class RedirectingRemote:
    """``url`` answers 302 to another loopback origin; ``seen()`` lists what that origin got."""

    url: str
    other_origin: str
    log: Path

    def seen(self) -> list[str]:
        """One ``<method> <path> <Authorization or ->`` line per request the other origin got."""
        return self.log.read_text().splitlines() if self.log.exists() else []


@pytest.fixture
def redirecting_remote(tmp_path: Path) -> Iterator[RedirectingRemote]:
    """A git URL whose server redirects to a different port, which records credentials."""
    script = str(Path(__file__).with_name("redirect_server.py"))
    log = tmp_path / "other-origin.log"
    other_port, other = _start_with_retries(
        "collector", lambda p: [sys.executable, script, "collect", str(p), str(log)],
        log_path=tmp_path / "collector.out",
    )  # fmt: skip
    other_origin = f"http://{LOCALHOST}:{other_port}"
    port, redirector = _start_with_retries(
        "redirector",
        lambda p: [sys.executable, script, "redirect", str(p), other_origin, str(log) + ".r"],
        log_path=tmp_path / "redirector.out",
    )
    yield RedirectingRemote(f"http://{LOCALHOST}:{port}/repo.git", other_origin, log)
    redirector.stop()
    other.stop()
