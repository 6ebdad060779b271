"""How to reach one registry: the knobs an ImageRepository (and the CLI) can turn.

The lead's config layer converts `ImageRepository.spec` + its Secrets into `ScanOptions`;
nothing here knows about pydantic or the state store. Frozen and hashable, so `scan_many`
can share one client between repositories whose options are equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from automation.registry.credentials import CredentialSources
from automation.registry.limits import RetryPolicy

DEFAULT_CONCURRENCY = 16  # requests in flight per registry: the main bound on load
# Token bucket per registry: a cold scan of a few hundred repositories goes out at full
# speed (still at most DEFAULT_CONCURRENCY at a time); sustained traffic is held to
# DEFAULT_RATE requests per second. `rate=None` disables the cap.
DEFAULT_RATE = 50.0
DEFAULT_BURST = 500


@dataclass(frozen=True, slots=True)
class ProxyConfig:
    """`proxySecretRef`: `address` (required), optional `username` / `password`."""

    address: str
    username: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Transport, auth and politeness for one registry. Times are in seconds."""

    insecure: bool = False  # allow plain HTTP (tried after HTTPS fails to connect)
    ca_pem: bytes | None = None  # certSecretRef ca.crt, added to the system CAs
    client_cert_pem: bytes | None = field(default=None, repr=False)  # tls.crt
    client_key_pem: bytes | None = field(default=None, repr=False)  # tls.key
    proxy: ProxyConfig | None = None  # None: HTTPS_PROXY/NO_PROXY from the environment
    timeout: float | None = None  # bounds a whole scan (credential lookup + all pages)
    credentials: CredentialSources = field(default_factory=CredentialSources)
    page_size: int | None = None  # `n=` for registries that cap or need it
    concurrency: int = DEFAULT_CONCURRENCY
    rate: float | None = DEFAULT_RATE
    burst: int = DEFAULT_BURST
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    write_timeout: float = 30.0
    pool_timeout: float = 60.0  # waiting for a pooled connection is not a slow server
    retry: RetryPolicy = field(default_factory=RetryPolicy)
