"""Cloud registry logins for ImageRepository `spec.provider`: aws, gcp and azure, as Flux does.

In: a provider name, a registry host, and a way to POST a form to that registry (for ACR's
token exchange). Out: `Credentials` for that host, minted from the cloud's own identity:
ECR's `GetAuthorizationToken` (user `AWS`), a GCP access token (user `oauth2accesstoken`),
or an ACR refresh token (user `00000000-0000-0000-0000-000000000000`). Each is cached per
(provider, host) and fetched again before it expires; a cold fan-out fetches once.

The host must be one the provider serves (fluxcd/pkg auth/aws, auth/gcp, auth/azure host
checks), else `ProviderMismatchError`: credentials minted for a cloud never go to another
host. Unlike Flux's ECR pattern, ours is anchored at both ends, so a look-alike such as
`1.dkr.ecr.us-east-1.amazonaws.com.evil.example` is refused rather than handed a token.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Literal
from weakref import WeakKeyDictionary

from automation.errors import RegistryPermanentError
from automation.registry import azure, gcp
from automation.registry.cloudhttp import FormPost
from automation.registry.credentials import Credentials

Provider = Literal["generic", "aws", "gcp", "azure"]
CLOUD_PROVIDERS: tuple[str, ...] = ("aws", "gcp", "azure")

# fluxcd/pkg auth/aws registryPartRe, anchored; the optional port is for local endpoints.
_ECR_HOST = re.compile(
    r"^([0-9]{1,20})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]{1,40})\."
    r"(?:amazonaws\.com(?:\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)"
    r"(?::[0-9]{1,5})?$"
)
_ACR_SUFFIXES = (".azurecr.io", ".azurecr.cn", ".azurecr.de", ".azurecr.us")
# Refresh this long before expiry (or at half-life for short-lived tokens), so a scan
# never starts with a token that runs out half-way.
REFRESH_MARGIN = 300.0


class ProviderMismatchError(RegistryPermanentError):
    """`spec.provider` names a cloud that does not serve the image's registry host."""


@dataclass(frozen=True, slots=True)
class CloudToken:
    """Credentials and when they stop working (wall-clock seconds since the epoch)."""

    credentials: Credentials
    expires_at: float


Fetch = Callable[[str, FormPost], Awaitable[CloudToken]]


def _bare_host(host: str) -> str:
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def ecr_region(host: str) -> str:
    """`123456789012.dkr.ecr.eu-west-1.amazonaws.com` -> `eu-west-1`."""
    match = _ECR_HOST.match(host.lower())
    if match is None:
        msg = "provider aws: not an ECR registry host (<account>.dkr.ecr.<region>.amazonaws.com)"
        raise ProviderMismatchError(msg, registry=host)
    return match.group(2)


def check_host(provider: str, host: str) -> None:
    """Raise `ProviderMismatchError` unless `provider` serves `host` (as Flux checks)."""
    bare = _bare_host(host.lower())
    if provider == "aws":
        ecr_region(host)
    elif provider == "gcp":
        if not (bare == "gcr.io" or bare.endswith((".gcr.io", "-docker.pkg.dev"))):
            msg = "provider gcp: not a GCR or Artifact Registry host (*.gcr.io, *-docker.pkg.dev)"
            raise ProviderMismatchError(msg, registry=host)
    elif provider == "azure":
        if not bare.endswith(_ACR_SUFFIXES):
            raise ProviderMismatchError(
                "provider azure: not an ACR host (*.azurecr.io)", registry=host
            )
    elif provider != "generic":
        raise ProviderMismatchError(f"unknown provider {provider!r}", registry=host)


def _load_ecr() -> ModuleType:
    # Start-up laziness: botocore is an optional extra whose import costs several times what
    # the whole CLI does (benchmarks/lazy_imports.py); only `provider: aws` needs it.
    return importlib.import_module("automation.registry.ecr")


async def _fetch_aws(host: str, post: FormPost) -> CloudToken:
    ecr = _load_ecr()
    region = ecr_region(host)
    credentials, expires_at = await asyncio.to_thread(ecr.authorization_token, host, region)
    return CloudToken(credentials, expires_at)


async def _fetch_gcp(host: str, post: FormPost) -> CloudToken:
    credentials, expires_at = await gcp.access_token(host)
    return CloudToken(credentials, expires_at)


async def _fetch_azure(host: str, post: FormPost) -> CloudToken:
    credentials, expires_at = await azure.registry_login(host, post)
    return CloudToken(credentials, expires_at)


FETCHERS: dict[str, Fetch] = {"aws": _fetch_aws, "gcp": _fetch_gcp, "azure": _fetch_azure}


class CloudLogins:
    """The process-wide token cache. `clock` is wall time (expiry instants come from clouds)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.fetches = 0  # logins performed, for tests and metrics
        self._cache: dict[tuple[str, str], tuple[CloudToken, float]] = {}
        # asyncio locks belong to one loop; the daemon may run cycles in fresh loops.
        self._locks: WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[str, str], asyncio.Lock]
        ] = WeakKeyDictionary()

    def _fresh(self, key: tuple[str, str]) -> Credentials | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        token, fetched_at = entry
        margin = min(REFRESH_MARGIN, max(0.0, token.expires_at - fetched_at) / 2)
        return token.credentials if self.clock() < token.expires_at - margin else None

    def forget(self, provider: str, host: str) -> None:
        """Drop a cached login (the registry refused it): the next lookup logs in again."""
        self._cache.pop((provider, host), None)

    async def credentials(self, provider: str, host: str, post: FormPost) -> Credentials:
        check_host(provider, host)
        key = (provider, host)
        if (found := self._fresh(key)) is not None:
            return found
        locks = self._locks.setdefault(asyncio.get_running_loop(), {})
        async with locks.setdefault(key, asyncio.Lock()):
            if (found := self._fresh(key)) is not None:
                return found  # another task logged in while we waited
            fetched_at = self.clock()
            token = await FETCHERS[provider](host, post)
            self.fetches += 1
            self._cache[key] = (token, fetched_at)
            return token.credentials


LOGINS = CloudLogins()
