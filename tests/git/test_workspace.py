"""Workspace against real remotes: cached clone, checkout refs, hard reset, auth failures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from automation.errors import GitAuthError, GitError
from automation.git import CheckoutError, CheckoutRef, GitAuth, Workspace, branch_head, ls_remote
from automation.git.workspace import cache_key
from tests.git.conftest import auth_for
from tests.rig.git_remotes import GitRemote, clone_and_commit, git, head

MAIN = CheckoutRef(branch="main")


@pytest.mark.parametrize("name", ["bare_remote", "http_remote", "https_remote", "ssh_remote"])
def test_sync_clones_then_fetches_incrementally(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    remote: GitRemote = request.getfixturevalue(name)
    auth = auth_for(remote)
    with Workspace.open(tmp_path, remote.url, auth) as ws:
        assert ws.sync(MAIN) == head(remote, "main")
        assert (ws.path / "README.md").read_text() == "seed\n"
        first_dir = ws.path
    newer = clone_and_commit(remote, {"app.yaml": "image: app:2\n"}, "other")
    with Workspace.open(tmp_path, remote.url, auth) as ws:
        assert ws.path == first_dir
        assert ws.sync(MAIN) == newer
        assert (ws.path / "app.yaml").read_text() == "image: app:2\n"
    assert ls_remote(remote.url, auth)["refs/heads/main"] == newer
    assert branch_head(remote.url, auth, "main") == newer
    assert branch_head(remote.url, auth, "nope") is None


def test_first_network_fetch_is_shallow(http_remote: GitRemote, tmp_path: Path) -> None:
    clone_and_commit(http_remote, {"b": "2"}, "second")
    with Workspace.open(tmp_path, http_remote.url, auth_for(http_remote)) as ws:
        ws.sync(MAIN)
        assert ws.repo.is_shallow
        assert git("rev-list", "--count", "HEAD", cwd=ws.path).strip() == "1"


def test_sync_removes_local_leftovers(bare_remote: GitRemote, tmp_path: Path) -> None:
    with Workspace.open(tmp_path, bare_remote.url, GitAuth()) as ws:
        ws.sync(MAIN)
        (ws.path / "README.md").write_text("dirty\n")
        (ws.path / "stray").mkdir()
        (ws.path / "stray" / "file.yaml").write_text("x")
        (ws.path / ".gitignore").write_text("ignored.txt\n")
        (ws.path / "ignored.txt").write_text("x")
        ws.sync(MAIN)
        assert sorted(p.name for p in ws.path.iterdir()) == [".git", "README.md"]
        assert (ws.path / "README.md").read_text() == "seed\n"
        assert ws.repo.status() == {}


def test_cache_key_ignores_credentials_and_url_keeps_none_on_disk(
    http_remote: GitRemote, tmp_path: Path
) -> None:
    assert cache_key("https://u:p@example.com/r.git") == cache_key("https://example.com/r.git")
    with Workspace.open(tmp_path, http_remote.url, auth_for(http_remote)) as ws:
        ws.sync(MAIN)
        config = (ws.path / ".git" / "config").read_text()
    assert http_remote.password not in config
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert http_remote.password.encode() not in path.read_bytes(), path


def test_checkout_by_tag_name_commit_and_semver(bare_remote: GitRemote, tmp_path: Path) -> None:
    first = head(bare_remote, "main")
    assert first is not None
    second = clone_and_commit(bare_remote, {"v": "2"}, "second")
    git("tag", "-a", "-m", "release", "v1.2.0", second, cwd=bare_remote.path)
    git("tag", "v1.10.0-rc.1", second, cwd=bare_remote.path)
    git("tag", "v1.1.0", first, cwd=bare_remote.path)
    clone_and_commit(bare_remote, {"v": "3"}, "third")

    def highest(constraint: str, tags: object) -> str | None:
        assert constraint == ">=1.0.0 <1.5.0"
        assert list(tags) == ["v1.1.0", "v1.10.0-rc.1", "v1.2.0"]  # type: ignore[call-overload]
        return "v1.2.0"

    with Workspace.open(tmp_path, bare_remote.url, GitAuth()) as ws:
        assert ws.sync(CheckoutRef(tag="v1.1.0")) == first
        assert ws.sync(CheckoutRef(name="refs/tags/v1.2.0")) == second
        assert ws.sync(CheckoutRef(branch="main", commit=first)) == first
        assert ws.sync(CheckoutRef(commit=second)) == second
        semver = CheckoutRef(semver=">=1.0.0 <1.5.0")
        assert ws.sync(semver, select_semver=highest) == second
        with pytest.raises(CheckoutError, match="no tag selector given"):
            ws.sync(semver)
        assert (ws.path / "v").read_text() == "2"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        (CheckoutRef(branch="nope"), "branch 'nope' not found"),
        (CheckoutRef(tag="v9"), "tag 'v9' not found"),
        (CheckoutRef(commit="0" * 40), f"commit {'0' * 40} not found"),
        (CheckoutRef(commit="HEAD~1"), "'HEAD~1' is not a hexadecimal commit sha"),
        (CheckoutRef(branch="gone", commit="abcdef1"), "branch 'gone' not found"),
    ],
)
def test_missing_refs_are_named(
    bare_remote: GitRemote, tmp_path: Path, ref: CheckoutRef, message: str
) -> None:
    with (
        Workspace.open(tmp_path, bare_remote.url, GitAuth()) as ws,
        pytest.raises(CheckoutError, match=message),
    ):
        ws.sync(ref)


def test_wrong_http_password_is_an_auth_error_without_the_password(
    http_remote: GitRemote, tmp_path: Path
) -> None:
    auth = GitAuth(username=http_remote.username, password="wrong-Passw0rd")
    with Workspace.open(tmp_path, http_remote.url, auth) as ws, pytest.raises(GitAuthError) as info:
        ws.sync(MAIN)
    assert "access denied" in str(info.value)
    assert "wrong-Passw0rd" not in str(info.value)
    assert http_remote.url in str(info.value)


def test_bearer_token_auth(http_remote: GitRemote, tmp_path: Path) -> None:
    auth = GitAuth(bearer_token=http_remote.bearer_token)
    assert ls_remote(http_remote.url, auth)["refs/heads/main"] == head(http_remote, "main")
    with pytest.raises(GitAuthError) as info:
        ls_remote(http_remote.url, GitAuth(bearer_token="tok-wrong-123"))
    assert "tok-wrong-123" not in str(info.value)


def test_https_needs_the_ca_bundle(https_remote: GitRemote) -> None:
    basic = GitAuth(username=https_remote.username, password=https_remote.password)
    with pytest.raises(GitAuthError, match="certificate"):
        ls_remote(https_remote.url, basic)
    trusted = GitAuth(basic.username, basic.password, ca_bundle=https_remote.ca_bundle)
    assert ls_remote(https_remote.url, trusted)["refs/heads/main"] == head(https_remote, "main")


def test_ssh_host_key_mismatch_is_refused(ssh_remote: GitRemote, tmp_path: Path) -> None:
    auth = auth_for(ssh_remote, known_hosts=ssh_remote.wrong_known_hosts)
    with pytest.raises(GitAuthError, match="host key not accepted"):
        ls_remote(ssh_remote.url, auth)
    with pytest.raises(GitAuthError, match="no 'known_hosts'"):
        ls_remote(ssh_remote.url, auth_for(ssh_remote, known_hosts=b""))


def test_unreachable_remote_fails_cleanly_then_recovers(
    bare_remote: GitRemote, tmp_path: Path
) -> None:
    hidden = bare_remote.path.with_name("moved.git")
    with Workspace.open(tmp_path, bare_remote.url, GitAuth()) as ws:
        ws.sync(MAIN)
        bare_remote.path.rename(hidden)
        with pytest.raises(GitError) as info:
            ws.sync(MAIN)
        assert not isinstance(info.value, GitAuthError)
        assert info.value.retryable
        hidden.rename(bare_remote.path)
        assert ws.sync(MAIN) == head(bare_remote, "main")


def test_unreachable_http_port_fails_with_transient_error(tmp_path: Path) -> None:
    from tests.rig.ports import free_port

    url = f"http://127.0.0.1:{free_port()}/r.git"
    with pytest.raises(GitError, match=r"list refs of http://127\.0\.0\.1") as info:
        ls_remote(url, GitAuth(), timeout=10)
    assert info.value.retryable


def test_corrupt_cache_is_rebuilt(bare_remote: GitRemote, tmp_path: Path) -> None:
    with Workspace.open(tmp_path, bare_remote.url, GitAuth()) as ws:
        directory = ws.path
    shutil.rmtree(directory / ".git")
    (directory / "junk").write_text("x")
    with Workspace.open(tmp_path, bare_remote.url, GitAuth()) as ws:
        ws.sync(MAIN)
        assert sorted(p.name for p in ws.path.iterdir()) == [".git", "README.md"]
