"""Credentials for a git remote, built from a Flux-style Secret.

In: the decoded values of the GitRepository's ``secretRef`` Secret (keys ``username``,
``password``, ``bearerToken``, ``identity``, ``known_hosts``, ``ca.crt``).
Out: a frozen ``GitAuth`` value. It never renders its secrets: ``repr`` masks them, and
``scrub`` removes them from any text (git's stderr) before it becomes an error message.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from automation.errors import GitAuthError

MASK = "***"


@dataclass(frozen=True)
class GitAuth:
    """How to authenticate to one remote. Every field is optional; empty means unused."""

    username: str = ""
    password: str = field(default="", repr=False)
    bearer_token: str = field(default="", repr=False)
    identity: bytes = field(default=b"", repr=False)
    known_hosts: bytes = b""
    ca_bundle: bytes = b""
    # GitRepository proxySecretRef: http(s) proxy URL, and its credentials when it needs them.
    proxy: str = ""
    proxy_username: str = ""
    proxy_password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        for name in (
            "username",
            "password",
            "bearer_token",
            "proxy",
            "proxy_username",
            "proxy_password",
        ):
            if any(c in getattr(self, name) for c in "\r\n\0"):
                raise GitAuthError(f"git secret: {name!r} must be a single line")
        if self.password and not self.username:
            raise GitAuthError("git secret: 'password' is set but 'username' is missing")
        if self.bearer_token and self.password:
            raise GitAuthError("git secret: set either 'bearerToken' or 'username'/'password'")

    def secrets(self) -> list[str]:
        """Every string that must never be shown, longest first (so parts do not leak)."""
        found: list[str] = []
        if self.password:
            found.append(self.password)
            basic = f"{self.username}:{self.password}".encode()
            found.append(base64.b64encode(basic).decode())
        if self.bearer_token:
            found.append(self.bearer_token)
        if self.proxy_password:
            found.append(self.proxy_password)
            found.append(quote(self.proxy_password, safe=""))
        if self.identity:
            found.extend(line for line in self.identity.decode(errors="replace").splitlines())
        return sorted((s for s in found if len(s) >= 4), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets():
            text = text.replace(secret, MASK)
        return text


NO_AUTH = GitAuth()


def proxy_from_secret(values: Mapping[str, bytes]) -> tuple[str, str, str]:
    """A proxySecretRef Secret (Flux keys ``address``, ``username``, ``password``) as
    (address, username, password); the address must be an http(s) URL without userinfo."""
    address = _text(values, "address")
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GitAuthError("proxy secret: 'address' must be an http:// or https:// URL")
    if parts.username or parts.password:
        raise GitAuthError("proxy secret: put credentials in 'username'/'password', not 'address'")
    return address, _text(values, "username"), _text(values, "password")


def _text(values: Mapping[str, bytes], key: str) -> str:
    raw = values.get(key, b"")
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise GitAuthError(f"git secret: key {key!r} is not valid UTF-8") from None


def git_auth_from_secret(values: Mapping[str, bytes]) -> GitAuth:
    """Build ``GitAuth`` from Flux's GitRepository secret keys; unknown keys are ignored."""
    identity = values.get("identity", b"")
    if identity and b"PRIVATE KEY" not in identity:
        raise GitAuthError("git secret: 'identity' is not a PEM/OpenSSH private key")
    return GitAuth(
        username=_text(values, "username"),
        password=_text(values, "password"),
        bearer_token=_text(values, "bearerToken"),
        identity=identity,
        known_hosts=values.get("known_hosts", b""),
        ca_bundle=values.get("ca.crt", b""),
    )
