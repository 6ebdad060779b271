"""Registry credentials: where they come from, and in which order we look.

In: a registry host and the sources a user configured: the bytes of a dockerconfigjson pull
secret (`spec.secretRef`), then the docker client config (`$DOCKER_CONFIG/config.json` or
`~/.docker/config.json`: `credHelpers`, `credsStore`, `auths`, in docker's order).
Out: `Credentials` for that host, or None (anonymous). Secrets never appear in an error or
`repr`: errors name the host and the source only.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from automation.errors import RegistryPermanentError, RegistryTransientError
from automation.reference import DOCKER_HUB

# Docker stores Hub credentials under this legacy key; helpers expect it as server URL.
DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_HELPER_TIMEOUT = 30.0
_IDENTITY_TOKEN_USER = "<token>"


@dataclass(frozen=True, slots=True)
class Credentials:
    """Username/password, or an OAuth2 refresh `identity_token`, or a ready `registry_token`."""

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)
    registry_token: str = field(default="", repr=False)


class CredentialsError(RegistryPermanentError):
    """A credential source is unreadable: fix the secret or docker config."""


def normalize_host(key: str) -> str:
    """`https://index.docker.io/v1/`, `docker.io`, `host:5000/v2/` -> the host[:port] we match."""
    netloc = urlsplit(key).netloc if "://" in key else key.split("/", 1)[0]
    netloc = netloc.lower()
    return DOCKER_HUB if netloc in _HUB_HOSTS else netloc


def _decode_auth(host: str, source: str, entry: Any) -> Credentials | None:
    if not isinstance(entry, dict):
        raise CredentialsError(f"{source}: entry for {host} is not an object", registry=host)
    username, password = entry.get("username") or "", entry.get("password") or ""
    if encoded := entry.get("auth"):
        try:
            username, sep, password = (
                base64.b64decode(encoded, validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError, TypeError, ValueError) as err:
            msg = f"{source}: 'auth' for {host} is not base64 of user:password"
            raise CredentialsError(msg, registry=host) from err
        if not sep:
            msg = f"{source}: 'auth' for {host} has no ':' between user and password"
            raise CredentialsError(msg, registry=host)
    creds = Credentials(
        username=str(username),
        password=str(password),
        identity_token=str(entry.get("identitytoken") or ""),
        registry_token=str(entry.get("registrytoken") or ""),
    )
    return creds if creds != Credentials() else None


def _load_json(data: bytes, source: str) -> dict[str, Any]:
    try:
        parsed = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise CredentialsError(f"{source}: not valid JSON ({err.__class__.__name__})") from err
    if not isinstance(parsed, dict):
        raise CredentialsError(f"{source}: expected a JSON object")
    return parsed


def _find_auth(auths: Any, host: str, source: str) -> Credentials | None:
    if not isinstance(auths, dict):
        return None
    for key, entry in auths.items():
        if isinstance(key, str) and normalize_host(key) == host:
            return _decode_auth(host, source, entry)
    return None


def from_dockerconfigjson(
    data: bytes, host: str, source: str = "pull secret"
) -> Credentials | None:
    """Credentials for `host` from a `.dockerconfigjson` (or legacy `.dockercfg`) document."""
    doc = _load_json(data, source)
    auths = doc.get("auths", doc)  # .dockercfg has no "auths" wrapper
    return _find_auth(auths, normalize_host(host), source)


def docker_config_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    return Path(base) / "config.json"


async def from_docker_config(path: Path, host: str) -> Credentials | None:
    """Docker's own lookup: `credHelpers[host]`, else `credsStore`, then `auths`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise CredentialsError(f"cannot read {path}: {err.strerror}") from err
    source = str(path)
    doc = _load_json(data, source)
    host = normalize_host(host)
    helpers = doc.get("credHelpers") or {}
    helper = helpers.get(host) if isinstance(helpers, dict) else None
    if isinstance(helper, str) and helper:
        return await run_credential_helper(helper, host)
    store = doc.get("credsStore")
    if isinstance(store, str) and store:
        found = await run_credential_helper(store, host)
        if found is not None:
            return found
    return _find_auth(doc.get("auths"), host, source)


async def run_credential_helper(helper: str, host: str) -> Credentials | None:
    """Run `docker-credential-<helper> get` with the server URL on stdin."""
    program = f"docker-credential-{helper}"
    server = DOCKER_HUB_KEY if host == DOCKER_HUB else host
    try:
        proc = await asyncio.create_subprocess_exec(
            program,
            "get",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError as err:
        msg = f"credential helper {program} not found on PATH"
        raise CredentialsError(msg, registry=host) from err
    try:
        out, err_out = await asyncio.wait_for(proc.communicate(server.encode()), _HELPER_TIMEOUT)
    except TimeoutError as err:
        msg = f"credential helper {program} did not answer in {_HELPER_TIMEOUT:.0f}s"
        raise RegistryTransientError(msg, registry=host) from err
    finally:
        if proc.returncode is None:  # timed out, or the scan's own timeout cancelled us
            proc.kill()
            await asyncio.shield(proc.wait())
    if proc.returncode != 0:
        if b"credentials not found" in (out + err_out).lower():
            return None
        # The helper's output may echo secrets: report only the exit status.
        msg = f"credential helper {program} failed (exit {proc.returncode})"
        raise CredentialsError(msg, registry=host)
    return _parse_helper_output(out, program, host)


def _parse_helper_output(out: bytes, program: str, host: str) -> Credentials | None:
    doc = _load_json(out, f"output of {program}")
    username, secret = str(doc.get("Username") or ""), str(doc.get("Secret") or "")
    if not secret:
        return None
    if username == _IDENTITY_TOKEN_USER:
        return Credentials(identity_token=secret)
    return Credentials(username=username, password=secret)


@dataclass(frozen=True, slots=True)
class CredentialSources:
    """What `lookup` consults, in order: explicit credentials, the pull secret, docker config.

    With a cloud `provider` (aws, gcp, azure) the docker config is not read: the client logs
    in with the cloud's identity instead (`providers`), as Flux does.
    """

    explicit: Credentials | None = None
    pull_secret: bytes | None = field(default=None, repr=False)
    docker_config: Path | None = None  # None: do not read a docker client config
    provider: str = "generic"


async def lookup(sources: CredentialSources, host: str) -> Credentials | None:
    """The first credentials any source holds for `host`, or None for anonymous access."""
    if sources.explicit is not None:
        return sources.explicit
    if sources.pull_secret is not None:
        found = from_dockerconfigjson(sources.pull_secret, host, "secretRef .dockerconfigjson")
        if found is not None:
            return found
    if sources.docker_config is not None and sources.provider == "generic":
        return await from_docker_config(sources.docker_config, host)
    return None
