"""Which URLs reach git, and what a git child may do with them: transports, userinfo,
redirects to another origin, the credential helper's host check, hooks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from automation.errors import GitError, StalledError
from automation.git import CheckoutRef, GitAuth, Workspace, ls_remote
from automation.git.command import remote_session
from automation.git.transport import ALLOW_FILE_ENV, check_url
from tests.git.conftest import auth_for
from tests.rig.git_remotes import GitRemote, RedirectingRemote, head

MAIN = CheckoutRef(branch="main")


@pytest.mark.parametrize(
    "url",
    [
        "https://tok-0123456789@example.com/r.git",
        "https://bot:hunter22-secret@example.com/r.git",
        "http://bot:@example.com/r.git",
    ],
)
def test_userinfo_in_an_http_url_is_refused_before_git_runs(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[object] = []
    monkeypatch.setattr(subprocess, "Popen", lambda argv, **_: started.append(argv))
    for attempt in (
        lambda: ls_remote(url, GitAuth(), timeout=5),
        lambda: Workspace.open(tmp_path, url, GitAuth()).__enter__(),
    ):
        with pytest.raises(StalledError, match=r"user part.*spec\.secretRef") as info:
            attempt()
        assert "tok-0123456789" not in str(info.value)
        assert "hunter22" not in str(info.value)
    assert list(tmp_path.iterdir()) == []  # refused before a clone directory was made
    assert started == []  # and before any process could show the token in its arguments


def test_ssh_urls_keep_their_user(tmp_path: Path) -> None:
    assert check_url("ssh://git@example.com:2222/r.git").scheme == "ssh"
    assert check_url("git@example.com:org/r.git").host == "example.com"


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% /tmp/pwned",
        "ext::sh",
        "fd::3",
        "--upload-pack=touch /tmp/pwned",
        "ssh://-oProxyCommand=touch/r.git",
        "-oProxyCommand=x@host:r.git",
        "ftp://example.com/r.git",
        "https://example.com/r.git\n--upload-pack=x",
    ],
)
def test_urls_that_pick_another_transport_or_an_option_are_refused(url: str) -> None:
    with pytest.raises(StalledError, match="git URL"):
        check_url(url, allow_file=True)


def test_file_remotes_need_the_operator_switch(
    bare_remote: GitRemote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ALLOW_FILE_ENV)
    with pytest.raises(StalledError, match=f"file:// remotes are disabled.*{ALLOW_FILE_ENV}=1"):
        ls_remote(bare_remote.url, GitAuth())
    with pytest.raises(StalledError, match="file:// remotes are disabled"):
        Workspace.open(tmp_path, bare_remote.url, GitAuth()).__enter__()
    # The operator's own source (allow_file=True) and the switch both allow it.
    with Workspace.open(tmp_path, bare_remote.url, GitAuth(), allow_file=True) as ws:
        assert ws.sync(MAIN) == head(bare_remote, "main")
    monkeypatch.setenv(ALLOW_FILE_ENV, "1")
    assert ls_remote(bare_remote.url, GitAuth())["refs/heads/main"] == head(bare_remote, "main")


def test_a_session_allows_only_its_own_transport(
    http_remote: GitRemote, bare_remote: GitRemote
) -> None:
    """A redirect, submodule or URL rewrite inside a child cannot switch to another transport."""
    with remote_session(http_remote.url, auth_for(http_remote)) as remote:
        done = subprocess.run(
            ["git", "ls-remote", "--", bare_remote.url],
            env=dict(remote.env), capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode != 0
        assert "transport 'file' not allowed" in done.stderr
        ok = subprocess.run(
            ["git", "ls-remote", "--", http_remote.url],
            env=dict(remote.env), capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("kind", ["basic", "bearer"])
def test_a_redirect_to_another_origin_gets_no_credentials(
    redirecting_remote: RedirectingRemote, tmp_path: Path, kind: str
) -> None:
    """Without the fix git followed the 302, and the other origin got the basic password
    (from the credential helper) or the bearer token (``http.extraHeader``)."""
    auth = (
        GitAuth(username="bot", password="Pa55-redirect-secret")
        if kind == "basic"
        else GitAuth(bearer_token="tok-redirect-secret")
    )
    with (
        Workspace.open(tmp_path, redirecting_remote.url, auth) as ws,
        pytest.raises(GitError, match="redirects are not followed"),
    ):
        ws.sync(MAIN)
    with pytest.raises(GitError, match="redirects are not followed"):
        ls_remote(redirecting_remote.url, auth, timeout=10)
    assert redirecting_remote.seen() == []  # no request, so no credentials, reached it


def test_the_credential_helper_answers_only_for_the_remotes_host(http_remote: GitRemote) -> None:
    def fill(host: str, env: dict[str, str]) -> str:
        done = subprocess.run(
            ["git", "credential", "fill"],
            input=f"protocol=http\nhost={host}\n\n",
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        return done.stdout

    own_host = http_remote.url.split("/")[2]
    with remote_session(http_remote.url, auth_for(http_remote)) as remote:
        env = dict(remote.env)
        assert f"password={http_remote.password}" in fill(own_host, env)
        assert http_remote.password not in fill("127.0.0.1:1", env)
        assert http_remote.password not in fill("attacker.example", env)
        # Helper alone (without git's URL scoping of the helper): still host-checked.
        env["GIT_CONFIG_KEY_" + str(int(env["GIT_CONFIG_COUNT"]))] = "credential.helper"
        env["GIT_CONFIG_VALUE_" + env["GIT_CONFIG_COUNT"]] = _helper_of(env)
        env["GIT_CONFIG_COUNT"] = str(int(env["GIT_CONFIG_COUNT"]) + 1)
        assert http_remote.password not in fill("attacker.example", env)
        assert f"password={http_remote.password}" in fill(own_host, env)


def _helper_of(env: dict[str, str]) -> str:
    count = int(env["GIT_CONFIG_COUNT"])
    for index in range(count):
        if env[f"GIT_CONFIG_KEY_{index}"].endswith(".helper") and env[f"GIT_CONFIG_VALUE_{index}"]:
            return env[f"GIT_CONFIG_VALUE_{index}"]
    raise AssertionError("no credential helper configured")


def test_hooks_in_the_workspace_clone_never_run(bare_remote: GitRemote, tmp_path: Path) -> None:
    ran = tmp_path / "hook-ran"
    with Workspace.open(tmp_path / "cache", bare_remote.url, GitAuth()) as ws:
        ws.sync(MAIN)
        for name in ("post-checkout", "pre-push", "reference-transaction"):
            hook = ws.path / ".git" / "hooks" / name
            hook.write_text(f"#!/bin/sh\necho {name} >> {ran}\n")
            hook.chmod(0o755)
        ws.reset(ws.head())
        ws.push(["HEAD:refs/heads/copy"], {})
    assert head(bare_remote, "copy") == head(bare_remote, "main")
    assert not ran.exists()
