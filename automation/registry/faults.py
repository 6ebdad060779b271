"""Translating what went wrong on the wire into the error tree, at one boundary.

Permanent (stalled until the config changes): 401/403 after auth, 404 unknown repository or
manifest, other 4xx, untrusted TLS certificates, bad URLs. Transient (retried with backoff):
429, 5xx, connection errors, timeouts, truncated bodies. Messages name the registry,
repository and status; never a header value, so never a credential.
"""

from __future__ import annotations

import json
import ssl

import httpx

from automation.errors import RegistryError, RegistryPermanentError, RegistryTransientError
from automation.registry.auth import AuthFailedError


class RepositoryNotFoundError(RegistryPermanentError):
    """The registry does not know the repository (404 / NAME_UNKNOWN)."""


class ManifestUnknownError(RegistryPermanentError):
    """The tag or digest does not exist in the repository."""


class RegistryDataError(RegistryTransientError):
    """The registry answered 200 with a body we cannot use (not JSON, wrong shape)."""


def error_code(body: bytes) -> str:
    """The first `errors[].code` of a distribution error body, or ""."""
    try:
        doc = json.loads(body[:65536])
        code = doc["errors"][0]["code"]
    except (ValueError, KeyError, IndexError, TypeError, RecursionError):
        return ""
    return code if isinstance(code, str) and code.isidentifier() else ""


def error_for_status(
    status: int, body: bytes, *, registry: str, repository: str, what: str
) -> RegistryError:
    code = error_code(body)
    detail = f" [{code}]" if code else ""

    def make(cls: type[RegistryError], message: str) -> RegistryError:
        return cls(message, registry=registry, repository=repository, status=status)

    if status == 401:
        return make(AuthFailedError, f"{what}: authentication failed{detail}")
    if status == 403:
        return make(AuthFailedError, f"{what}: access denied{detail}")
    if status == 404 and what == "list tags":
        return make(RepositoryNotFoundError, f"repository not found{detail}")
    if status == 404:
        return make(ManifestUnknownError, f"{what}: not found{detail}")
    if status == 429 or status >= 500:
        return make(RegistryTransientError, f"{what}: registry unavailable{detail}")
    return make(RegistryPermanentError, f"{what}: request rejected{detail}")


def error_for_exception(
    err: httpx.HTTPError | ssl.SSLError, *, registry: str, repository: str, what: str
) -> RegistryError:
    def make(cls: type[RegistryError], message: str) -> RegistryError:
        return cls(message, registry=registry, repository=repository)

    if isinstance(err, ssl.SSLError):  # an alert after the handshake escapes httpcore
        reason = f"TLS refused by the registry ({err.reason or 'SSL error'}); a client "
        reason += "certificate may be required (certSecretRef tls.crt/tls.key)"
        return make(RegistryPermanentError, f"{what}: {reason}")
    if isinstance(err, httpx.PoolTimeout):
        return make(RegistryTransientError, f"{what}: no free connection in time")
    if isinstance(err, httpx.TimeoutException):
        kind = type(err).__name__.removesuffix("Timeout").lower() or "request"
        return make(RegistryTransientError, f"{what}: {kind} timed out")
    text = str(err)
    if "WRONG_VERSION_NUMBER" in text:  # a TLS hello answered in plain HTTP
        reason = "the registry speaks plain HTTP; set insecure: true to allow it"
        return make(RegistryPermanentError, f"{what}: {reason}")
    if "CERTIFICATE_VERIFY_FAILED" in text:
        reason = "TLS certificate not trusted (add its CA via certSecretRef)"
        return make(RegistryPermanentError, f"{what}: {reason}")
    if isinstance(err, httpx.ConnectError):
        return make(RegistryTransientError, f"{what}: cannot connect")
    if isinstance(err, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return make(RegistryPermanentError, f"{what}: invalid URL")
    return make(RegistryTransientError, f"{what}: {type(err).__name__}")
