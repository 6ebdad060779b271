"""Signed commits: gpg and ssh signatures that `git verify-commit` accepts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from automation.git import (
    Author,
    CheckoutRef,
    CommitOptions,
    GitAuth,
    MessageTemplate,
    PushTarget,
    SigningError,
    SigningKey,
    Workspace,
    push_with_retry,
    signing_key_from_secret,
)
from tests.git.conftest import set_image
from tests.rig.git_remotes import GitRemote, git, head


def _gpg_key(home: Path, passphrase: str) -> tuple[bytes, bytes]:
    """A fresh ed25519 key: (armoured secret key, armoured public key)."""
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    base = ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", passphrase]
    uid = "Image Bot <bot@example.com>"
    try:
        subprocess.run(
            [*base, "--quick-gen-key", uid, "ed25519", "sign", "never"],
            env=env,
            check=True,
            capture_output=True,
        )
        secret = subprocess.run(
            [*base, "--armor", "--export-secret-keys"], env=env, check=True, capture_output=True
        ).stdout
        public = subprocess.run(
            [*base, "--armor", "--export"], env=env, check=True, capture_output=True
        ).stdout
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)
    return secret, public


def _signed_push(remote: GitRemote, cache: Path, key: SigningKey) -> str:
    options = CommitOptions(
        Author("Image Bot", "bot@example.com"), MessageTemplate("", "ns", "a"), key
    )
    with Workspace.open(cache, remote.url, GitAuth()) as ws:
        base = ws.sync(CheckoutRef(branch="main"))
        result = push_with_retry(
            ws, PushTarget("main"), set_image("app.yaml", "app:2"), options,
            base=base, checkout_branch="main", sleep=lambda _: None,
        )  # fmt: skip
    assert result is not None
    assert head(remote, "main") == result.commit
    return result.commit


@pytest.mark.parametrize("passphrase", ["", "correct horse"])
def test_gpg_signed_commit_verifies(
    bare_remote: GitRemote, tmp_path: Path, passphrase: str
) -> None:
    secret, public = _gpg_key(tmp_path / "maker", passphrase)
    values = {"git.asc": secret} | ({"passphrase": passphrase.encode()} if passphrase else {})
    commit = _signed_push(bare_remote, tmp_path / "cache", signing_key_from_secret("gpg", values))
    verifier = tmp_path / "verifier"
    verifier.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(verifier)}
    try:
        subprocess.run(
            ["gpg", "--batch", "--import"],
            input=public,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        out = subprocess.run(
            ["git", "verify-commit", "--raw", commit], cwd=bare_remote.path,
            env={**os.environ, **env}, capture_output=True, text=True,
        )  # fmt: skip
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env={**os.environ, **env}, check=False)
    assert out.returncode == 0, out.stderr
    assert "GOODSIG" in out.stderr


@pytest.mark.parametrize("password", ["", "s3cret-phrase"])
def test_ssh_signed_commit_verifies(bare_remote: GitRemote, tmp_path: Path, password: str) -> None:
    key = tmp_path / "signing"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", password, "-f", str(key)], check=True
    )
    values = {"identity": key.read_bytes()} | ({"password": password.encode()} if password else {})
    commit = _signed_push(bare_remote, tmp_path / "cache", signing_key_from_secret("ssh", values))
    allowed = tmp_path / "allowed_signers"
    allowed.write_text("bot@example.com " + key.with_suffix(".pub").read_text())
    git("config", "gpg.format", "ssh", cwd=bare_remote.path)
    git("config", "gpg.ssh.allowedSignersFile", str(allowed), cwd=bare_remote.path)
    out = subprocess.run(
        ["git", "verify-commit", commit], cwd=bare_remote.path, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert 'Good "git" signature for bot@example.com' in out.stderr


def test_wrong_ssh_password_is_a_signing_error(bare_remote: GitRemote, tmp_path: Path) -> None:
    key = tmp_path / "signing"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "right-one", "-f", str(key)], check=True
    )
    signing = signing_key_from_secret(
        "ssh", {"identity": key.read_bytes(), "password": b"wrong-one"}
    )
    before = head(bare_remote, "main")
    with pytest.raises(SigningError, match="ssh signing failed") as info:
        _signed_push(bare_remote, tmp_path / "cache", signing)
    assert "wrong-one" not in str(info.value)
    assert head(bare_remote, "main") == before


@pytest.mark.parametrize(
    ("kind", "values", "message"),
    [
        ("x509", {}, "not supported"),
        ("gpg", {}, "no 'git.asc'"),
        ("gpg", {"git.asc": b"hello"}, "not an armoured private key"),
        ("ssh", {"identity": b"-----BEGIN PGP PUBLIC KEY BLOCK-----"}, "not an armoured"),
    ],
)
def test_bad_signing_secrets_are_named(kind: str, values: dict[str, bytes], message: str) -> None:
    with pytest.raises(SigningError, match=message):
        signing_key_from_secret(kind, values)
