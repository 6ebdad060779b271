"""TLS and proxy settings for the httpx client of one registry.

In: `ScanOptions` (extra CA PEM, client certificate + key PEM, proxy). Out: an
`ssl.SSLContext` that always trusts the system CAs, and the `httpx.AsyncClient` keyword
arguments for the proxy. PEM problems become `TLSConfigError` naming the bad part.
"""

from __future__ import annotations

import functools
import os
import ssl
import tempfile
from pathlib import Path
from typing import Any

import httpx

from automation.errors import StalledError
from automation.logs import redact_url
from automation.registry.options import ScanOptions


class TLSConfigError(StalledError):
    """certSecretRef holds something we cannot use (not PEM, key does not match)."""


def build_ssl_context(
    ca_pem: bytes | None = None,
    client_cert_pem: bytes | None = None,
    client_key_pem: bytes | None = None,
) -> ssl.SSLContext:
    """System CAs + `ca_pem`, and the client certificate when both halves are given.

    Cached: loading the system CAs costs ~16 ms of CPU, and contexts are read-only once built.
    The key includes SSL_CERT_FILE/SSL_CERT_DIR, which change what "system CAs" means.
    """
    env = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    return _cached_context(ca_pem, client_cert_pem, client_key_pem, env)


@functools.lru_cache(maxsize=64)
def _cached_context(
    ca_pem: bytes | None,
    client_cert_pem: bytes | None,
    client_key_pem: bytes | None,
    env: tuple[str | None, str | None],
) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_pem:
        try:
            context.load_verify_locations(cadata=ca_pem.decode("ascii"))
        except (ssl.SSLError, ValueError, UnicodeDecodeError) as err:
            raise TLSConfigError(f"certSecretRef: ca.crt is not a PEM certificate ({err})") from err
    if bool(client_cert_pem) != bool(client_key_pem):
        raise TLSConfigError("certSecretRef: tls.crt and tls.key must be given together")
    if client_cert_pem and client_key_pem:
        _load_client_cert(context, client_cert_pem, client_key_pem)
    return context


def _load_client_cert(context: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    # The ssl module only loads a chain from files: write them 0600 and delete at once.
    with tempfile.TemporaryDirectory(prefix="ia-tls-") as tmp:
        cert_path, key_path = Path(tmp, "tls.crt"), Path(tmp, "tls.key")
        for path, data in ((cert_path, cert_pem), (key_path, key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        try:
            context.load_cert_chain(cert_path, key_path)
        except ssl.SSLError as err:
            msg = f"certSecretRef: tls.crt/tls.key unusable ({err.reason or 'bad PEM'})"
            raise TLSConfigError(msg) from err


def proxy_arguments(options: ScanOptions) -> dict[str, Any]:
    """`proxy=` from proxySecretRef, else let httpx read the *_PROXY environment."""
    if options.proxy is None:
        return {"trust_env": True}
    auth = (options.proxy.username, options.proxy.password) if options.proxy.username else None
    try:
        proxy = httpx.Proxy(options.proxy.address, auth=auth)
    except (ValueError, httpx.InvalidURL) as err:
        address = redact_url(options.proxy.address)
        raise StalledError(f"proxySecretRef: invalid proxy address {address!r}") from err
    return {"proxy": proxy, "trust_env": False}


def timeouts(options: ScanOptions) -> httpx.Timeout:
    return httpx.Timeout(
        connect=options.connect_timeout,
        read=options.read_timeout,
        write=options.write_timeout,
        pool=options.pool_timeout,
    )
