"""Commit signatures made by external tools, so ``git verify-commit`` accepts them.

In: a ``SigningKey`` (from the automation's ``signingKey`` Secret) and the raw commit
payload. Out: an ASCII-armoured detached signature for the commit's ``gpgsig`` header.

- gpg: ``git.asc`` (armoured private key) and optional ``passphrase``. The key is imported
  into a throwaway ``GNUPGHOME`` for each signature; its agent is stopped and the home
  removed afterwards.
- ssh: ``identity`` (OpenSSH private key) and optional ``password``; signed by
  ``ssh-keygen -Y sign -n git`` exactly as git does, the passphrase handed over through a
  forced ``SSH_ASKPASS`` helper that reads an environment variable.
Keys and passphrases go to 0600 files in a private temporary directory, never to argv.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from automation.errors import StalledError

SIGN_TIMEOUT = 60.0
_ASKPASS = '#!/bin/sh\nprintf "%s\\n" "$IA_SIGNING_PASSPHRASE"\n'


class SigningError(StalledError):
    """The signing key is unusable (wrong passphrase, not a private key, tool failure)."""


@dataclass(frozen=True)
class SigningKey:
    type: Literal["gpg", "ssh"]
    key: bytes = field(repr=False)
    passphrase: str = field(default="", repr=False)


def signing_key_from_secret(type: str, values: Mapping[str, bytes]) -> SigningKey:
    """Flux keys: gpg -> ``git.asc`` (+ ``passphrase``); ssh -> ``identity`` (+ ``password``)."""
    kind: Literal["gpg", "ssh"]
    if type == "gpg":
        kind = "gpg"
        key, pass_key, marker = values.get("git.asc", b""), "passphrase", b"PGP PRIVATE KEY"
        name = "git.asc"
    elif type == "ssh":
        kind = "ssh"
        key, pass_key, marker = values.get("identity", b""), "password", b"PRIVATE KEY"
        name = "identity"
    else:
        raise SigningError(f"signing key type {type!r} is not supported (use 'gpg' or 'ssh')")
    if not key:
        raise SigningError(f"signing key secret has no {name!r} entry")
    if marker not in key:
        raise SigningError(f"signing key secret entry {name!r} is not an armoured private key")
    passphrase = values.get(pass_key, b"").decode("utf-8", errors="strict").strip()
    return SigningKey(type=kind, key=key, passphrase=passphrase)


def _private_file(path: Path, content: bytes, mode: int = 0o600) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return path


def _run(argv: list[str], env: Mapping[str, str], what: str, stdin: bytes = b"") -> str:
    try:
        done = subprocess.run(
            argv, input=stdin, env=dict(env), capture_output=True, timeout=SIGN_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise SigningError(f"{what}: timed out after {SIGN_TIMEOUT:g}s") from None
    except FileNotFoundError:
        raise SigningError(f"{what}: {argv[0]} is not installed") from None
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-2:]
        raise SigningError(f"{what} failed: {'; '.join(tail)}")
    return done.stdout.decode()


def _gpg_sign(payload: bytes, key: SigningKey, tmp: Path) -> str:
    home = tmp / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home), "LC_ALL": "C"}
    base = ["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback"]
    base += ["--passphrase-file", str(_private_file(tmp / "pass", key.passphrase.encode()))]
    try:
        _run([*base, "--import"], env, "importing the gpg signing key", key.key)
        listing = _run([*base, "--with-colons", "--list-secret-keys"], env, "listing gpg keys")
        fingerprints = [
            line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")
        ]
        if not fingerprints:
            raise SigningError("the gpg signing key secret holds no secret key")
        argv = [*base, "--local-user", fingerprints[0], "--detach-sign", "--armor"]
        return _run(argv, env, "gpg signing", payload)
    finally:
        subprocess.run(
            ["gpgconf", "--kill", "gpg-agent"], env=env, capture_output=True, check=False
        )


def _ssh_sign(payload: bytes, key: SigningKey, tmp: Path) -> str:
    key_file = _private_file(
        tmp / "signing_key", key.key if key.key.endswith(b"\n") else key.key + b"\n"
    )
    askpass = _private_file(tmp / "askpass", _ASKPASS.encode(), mode=0o700)
    env = {**os.environ, "LC_ALL": "C", "SSH_ASKPASS": str(askpass)}
    env |= {"SSH_ASKPASS_REQUIRE": "force", "IA_SIGNING_PASSPHRASE": key.passphrase}
    env.pop("SSH_AUTH_SOCK", None)
    buffer = _private_file(tmp / "payload", payload)
    _run(
        ["ssh-keygen", "-Y", "sign", "-n", "git", "-f", str(key_file), str(buffer)],
        env,
        "ssh signing",
    )
    return buffer.with_name("payload.sig").read_text()


def sign(payload: bytes, key: SigningKey) -> str:
    """The armoured detached signature of ``payload`` (a commit object without gpgsig)."""
    with tempfile.TemporaryDirectory(prefix="ia-sign-") as tmp:
        if key.type == "gpg":
            return _gpg_sign(payload, key, Path(tmp))
        return _ssh_sign(payload, key, Path(tmp))
