"""spec.verify: the checked-out commit's OpenPGP signature against the Secret's public keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.git import VerificationError, signing_key_from_secret, verify_commit
from tests.git.test_signing import _gpg_key, _signed_push
from tests.rig.git_remotes import GitRemote, head


@pytest.fixture
def signed(bare_remote: GitRemote, tmp_path: Path) -> tuple[str, bytes, str]:
    """(commit signed by a fresh key, that key's public part, the unsigned commit before)."""
    unsigned = head(bare_remote, "main")
    assert unsigned is not None
    secret, public = _gpg_key(tmp_path / "signer", "")
    key = signing_key_from_secret("gpg", {"git.asc": secret})
    return _signed_push(bare_remote, tmp_path / "cache", key), public, unsigned


def test_a_commit_signed_by_a_key_in_the_secret_verifies(
    bare_remote: GitRemote, tmp_path: Path, signed: tuple[str, bytes, str]
) -> None:
    commit, public, _ = signed
    _, other = _gpg_key(tmp_path / "other", "")
    fingerprint = verify_commit(bare_remote.path, commit, {"other.asc": other, "a.asc": public})
    assert len(fingerprint) == 40


def test_a_key_not_in_the_secret_does_not_verify(
    bare_remote: GitRemote, tmp_path: Path, signed: tuple[str, bytes, str]
) -> None:
    commit, _, _ = signed
    _, other = _gpg_key(tmp_path / "other", "")
    with pytest.raises(VerificationError, match="does not verify with the keys"):
        verify_commit(bare_remote.path, commit, {"other.asc": other})


def test_unsigned_commits_and_bad_secrets_are_refused(
    bare_remote: GitRemote, signed: tuple[str, bytes, str]
) -> None:
    commit, public, unsigned = signed
    with pytest.raises(VerificationError, match="is not signed"):
        verify_commit(bare_remote.path, unsigned, {"a.asc": public})
    with pytest.raises(VerificationError, match="holds no public key"):
        verify_commit(bare_remote.path, commit, {})
    with pytest.raises(VerificationError, match="not a key"):
        verify_commit(bare_remote.path, commit, {"a.asc": b"hello"})
