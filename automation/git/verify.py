"""Verify the OpenPGP signature of the commit a GitRepository checks out (``spec.verify``).

In: the clone, the commit sha, and the values of the ``verify.secretRef`` Secret (one or more
armoured public keys, each under its own key, as Flux's source-controller reads them). Out:
the fingerprint of the key that made a good signature, or a ``StalledError`` saying why the
commit is not trusted (unsigned, bad signature, unknown key). Nothing is updated on top of a
commit that does not verify.

gpg runs with a private, empty home (0700, removed afterwards) holding only the Secret's keys,
on files: the signature from the commit's ``gpgsig`` header and the signed payload.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pygit2

from automation.errors import StalledError

VERIFY_TIMEOUT = 30.0


class VerificationError(StalledError):
    """The checked-out commit's signature does not verify with the given keys."""


def _gpg(argv: list[str], env: Mapping[str, str], stdin: bytes = b"") -> tuple[int, str]:
    try:
        done = subprocess.run(
            ["gpg", "--batch", "--no-tty", *argv],
            input=stdin,
            env=dict(env),
            capture_output=True,
            timeout=VERIFY_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise VerificationError(f"gpg timed out after {VERIFY_TIMEOUT:g}s") from None
    except FileNotFoundError:
        raise VerificationError("gpg is not installed") from None
    return done.returncode, done.stdout.decode(errors="replace")


def verify_commit(repo_path: Path, sha: str, public_keys: Mapping[str, bytes]) -> str:
    """The fingerprint of the key with a good signature on commit ``sha``."""
    commit = pygit2.Repository(str(repo_path)).get(sha)
    if not isinstance(commit, pygit2.Commit):
        raise VerificationError(f"commit {sha[:12]} is not in the clone")
    signature, payload = commit.gpg_signature
    if not signature:
        raise VerificationError(f"commit {sha[:12]} is not signed")
    if b"-----BEGIN PGP SIGNATURE-----" not in signature:
        raise VerificationError(f"commit {sha[:12]} has no OpenPGP signature (only those verify)")
    keys = [value for value in public_keys.values() if value.strip()]
    if not keys:
        raise VerificationError("the verify Secret holds no public key")
    with tempfile.TemporaryDirectory(prefix="ia-verify-") as tmp:
        home = Path(tmp) / "gnupg"
        home.mkdir(mode=0o700)
        env = {**os.environ, "GNUPGHOME": str(home), "LC_ALL": "C"}
        try:
            for value in keys:
                code, _ = _gpg(["--import"], env, value)
                if code != 0:
                    raise VerificationError("the verify Secret holds a value that is not a key")
            (Path(tmp) / "sig").write_bytes(signature)
            (Path(tmp) / "payload").write_bytes(payload)
            argv = [
                "--status-fd",
                "1",
                "--verify",
                str(Path(tmp) / "sig"),
                str(Path(tmp) / "payload"),
            ]
            code, status = _gpg(argv, env)
        finally:
            subprocess.run(
                ["gpgconf", "--kill", "gpg-agent"], env=env, capture_output=True, check=False
            )
    for line in status.splitlines():
        parts = line.split()
        if code == 0 and parts[:2] == ["[GNUPG:]", "VALIDSIG"] and len(parts) > 2:
            return parts[2]
    raise VerificationError(
        f"commit {sha[:12]}: the signature does not verify with the keys in the verify Secret"
    )


def verify_head(repo_path: Path, public_keys: Mapping[str, bytes]) -> str:
    """`verify_commit` for the commit checked out in ``repo_path`` (before our own commit)."""
    repo = pygit2.Repository(str(repo_path))
    return verify_commit(repo_path, str(repo.head.target), public_keys)
