"""The git remotes of the test rig work: clone and push over file://, smart HTTP and ssh."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.rig.git_remotes import GitRemote, clone_and_commit, git, head, log, read_file_at


def _client_env(remote: GitRemote, tmp: Path, known_hosts: bytes | None = None) -> dict[str, str]:
    env: dict[str, str] = {}
    if remote.ca_bundle:
        ca = tmp / "ca.crt"
        ca.write_bytes(remote.ca_bundle)
        env["GIT_SSL_CAINFO"] = str(ca)
    if remote.password:
        token = base64.b64encode(f"{remote.username}:{remote.password}".encode()).decode()
        env |= {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader"}
        env["GIT_CONFIG_VALUE_0"] = f"Authorization: Basic {token}"
    if remote.identity:
        key = tmp / "id"
        key.write_bytes(remote.identity)
        key.chmod(0o600)
        hosts = tmp / "known_hosts"
        hosts.write_bytes(remote.known_hosts if known_hosts is None else known_hosts)
        env["GIT_SSH_COMMAND"] = (
            f"ssh -F /dev/null -i {key} -o IdentitiesOnly=yes -o BatchMode=yes "
            f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={hosts}"
        )
    return env


def _clone_edit_push(remote: GitRemote, tmp: Path) -> None:
    env = _client_env(remote, tmp)
    work = tmp / "clone"
    git("clone", "--quiet", remote.url, str(work), env=env)
    assert (work / "README.md").read_text() == "seed\n"
    (work / "app.yaml").write_text("image: app:1.0.1\n")
    git("add", "app.yaml", cwd=work)
    git("commit", "--quiet", "-m", "bump app", cwd=work)
    git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=work, env=env)
    assert read_file_at(remote, "main", "app.yaml") == "image: app:1.0.1\n"
    assert log(remote, "main") == ["bump app", "initial commit"]


@pytest.mark.parametrize("name", ["bare_remote", "http_remote", "https_remote", "ssh_remote"])
def test_clone_and_push(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    _clone_edit_push(request.getfixturevalue(name), tmp_path)


def _http_status(url: str, user: str, password: str) -> int:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(
        f"{url}/info/refs?service=git-upload-pack", headers={"Authorization": f"Basic {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as err:
        return err.code


def test_http_checks_basic_auth(http_remote: GitRemote) -> None:
    assert _http_status(http_remote.url, http_remote.username, http_remote.password) == 200
    assert _http_status(http_remote.url, http_remote.username, "wrong") == 401


def test_ssh_rejects_an_unknown_host_key(ssh_remote: GitRemote, tmp_path: Path) -> None:
    env = _client_env(ssh_remote, tmp_path, known_hosts=ssh_remote.wrong_known_hosts)
    with pytest.raises(RuntimeError, match="Host key verification failed"):
        git("ls-remote", ssh_remote.url, env=env)


def test_another_client_commits_on_a_new_branch(bare_remote: GitRemote) -> None:
    assert head(bare_remote, "feature") is None
    sha = clone_and_commit(bare_remote, {"a/b.txt": "x\n"}, "other client", branch="feature")
    assert head(bare_remote, "feature") == sha
    assert read_file_at(bare_remote, "feature", "a/b.txt") == "x\n"
    assert log(bare_remote, "feature") == ["other client", "initial commit"]
