"""Registry authentication as an httpx auth flow: anonymous, basic, and bearer tokens.

In: the registry's base URL and optional `Credentials`. Out: requests carrying the right
`Authorization` header. The flow answers `WWW-Authenticate: Bearer realm,service,scope`
challenges by asking the realm for a token, caches tokens per scope until they expire,
and holds an asyncio lock per scope so a cold fan-out fetches one token, not fifty.
Credentials are bound to the registry's host and port: a request to any other host (a
pagination link, a redirect) goes out without them. They also go to the token realm the
registry names, but never over plain HTTP unless the registry itself is plain HTTP.
Challenges are learnt only from answers of the registry's own origin: a 401 that comes back
from a redirect target (httpx follows redirects inside one auth step) is not trusted, so a
host the registry redirects to cannot name a realm that would receive our credentials.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import time
from collections.abc import AsyncGenerator, Callable, Generator

import httpx

from automation.errors import RegistryPermanentError, RegistryTransientError
from automation.registry.bodies import IDENTITY, BodyTooLargeError, CappedStream, check_encoding
from automation.registry.credentials import Credentials
from automation.registry.headers import Challenge, HeaderTooLargeError, parse_challenge

__all__ = ["AuthFailedError", "Challenge", "RegistryAuth", "parse_challenge"]

log = logging.getLogger(__name__)

_REPO_PATH = re.compile(
    r"^/v2/(.+?)/(?:tags/list|manifests/[^/]+|blobs/[^/]+|referrers/[^/]+)$"  # OCI 1.1 referrers
)
_UPLOAD_PATH = re.compile(r"^/v2/(.+?)/blobs/uploads/[^/]*$")  # mirroring
_READ_METHODS = frozenset({"GET", "HEAD"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MIN_TOKEN_SECONDS = 60  # the distribution token spec's floor for expires_in
_EXPIRY_MARGIN = 10.0
_TOKEN_BODY_CAP = 1 << 20
CLIENT_ID = "image-automation"


def scope_for_path(path: str) -> str:
    """`/v2/team/app/tags/list` -> `repository:team/app:pull`; "" for `/v2/` itself."""
    match = _REPO_PATH.match(path)
    return f"repository:{match.group(1)}:pull" if match else ""


def scope_for_request(method: str, path: str) -> str:
    """Like `scope_for_path`, but uploads and manifest writes need `pull,push` (mirroring)."""
    upload = _UPLOAD_PATH.match(path)
    if upload:
        return f"repository:{upload.group(1)}:pull,push"
    scope = scope_for_path(path)
    return f"{scope},push" if scope and method.upper() not in _READ_METHODS else scope


def origin(url: httpx.URL) -> tuple[str, int]:
    return url.host.lower(), url.port or _DEFAULT_PORTS.get(url.scheme, 0)


class AuthFailedError(RegistryPermanentError):
    """The registry or its token service refused our credentials (401/403 after auth)."""


class RegistryAuth(httpx.Auth):
    """Auth for one registry origin and one set of credentials (async clients only)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = httpx.URL(base_url)
        self.credentials = credentials
        self.clock = clock
        self.token_requests = 0
        self._origin = origin(self.base_url)
        self._challenge: Challenge | None = None
        self._tokens: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("RegistryAuth needs httpx.AsyncClient (it locks per scope)")

    def owns(self, url: httpx.URL) -> bool:
        return origin(url) == self._origin

    @property
    def knows_bearer(self) -> bool:
        return self._challenge is not None and self._challenge.scheme == "bearer"

    def cached_token(self, scope: str) -> str | None:
        entry = self._tokens.get(scope)
        if entry is None or entry[1] <= self.clock():
            return None
        return entry[0]

    def learn(self, headers: httpx.Headers, url: httpx.URL) -> Challenge | None:
        """Remember the registry's challenge from a 401 (also used by the `/v2/` probe).

        `url` is where the answer came from; a challenge from any other origin is ignored."""
        if not self.owns(url):
            log.warning("%s: ignoring an auth challenge from %s", self._origin[0], url.host)
            return None
        try:
            challenge = parse_challenge(headers.get("www-authenticate", ""))
        except HeaderTooLargeError as err:
            log.warning("%s: ignoring the auth challenge: %s", self._origin[0], err)
            return None
        if challenge is not None and challenge.scheme in ("bearer", "basic"):
            self._challenge = challenge
        return challenge

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not self.owns(request.url):
            yield request  # another host: never with our credentials
            return
        scope = scope_for_request(request.method, request.url.path)
        sent = self._preauthorize(request, scope)
        if sent is None and self.knows_bearer and scope:
            async with self._lock(scope):  # cold fan-out: the first task fetches, others reuse
                if self._needs_token(scope, stale=None):
                    await self._store_token(scope, (yield self._token_request(scope)))
            sent = self._preauthorize(request, scope)
        response = yield request
        if response.status_code != 401:
            return
        challenge = self.learn(response.headers, response.url)
        if not scope or challenge is None or not self._retry_plan(challenge, sent):
            return
        if challenge.scheme == "basic":
            request.headers["Authorization"] = self._basic_header()
            yield request
            return
        scope = challenge.params.get("scope") or scope
        async with self._lock(scope):
            if self._needs_token(scope, stale=sent):
                await self._store_token(scope, (yield self._token_request(scope)))
        if self._preauthorize(request, scope) == sent:
            return  # nothing new to offer: the 401 stands
        yield request

    def _retry_plan(self, challenge: Challenge, sent: str | None) -> bool:
        if challenge.scheme == "basic":
            return self._has_password() and sent is None
        return challenge.scheme == "bearer" and "realm" in challenge.params

    def _preauthorize(self, request: httpx.Request, scope: str) -> str | None:
        """Attach what we already have; return the header value sent (None: anonymous)."""
        value: str | None = None
        creds = self.credentials
        if creds is not None and creds.registry_token:
            value = f"Bearer {creds.registry_token}"
        elif self.knows_bearer and (token := self.cached_token(scope)):
            value = f"Bearer {token}"
        elif self._challenge is not None and self._challenge.scheme == "basic":
            value = self._basic_header() if self._has_password() else None
        if value is not None:
            request.headers["Authorization"] = value
        return value

    def _has_password(self) -> bool:
        return self.credentials is not None and bool(self.credentials.username)

    def _basic_header(self) -> str:
        assert self.credentials is not None
        raw = f"{self.credentials.username}:{self.credentials.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def _lock(self, scope: str) -> asyncio.Lock:
        return self._locks.setdefault(scope, asyncio.Lock())

    def _needs_token(self, scope: str, stale: str | None) -> bool:
        """False when a usable token arrived while we waited, or a static one is configured."""
        if self.credentials is not None and self.credentials.registry_token:
            return False
        current = self.cached_token(scope)
        return current is None or f"Bearer {current}" == stale

    async def _store_token(self, scope: str, response: httpx.Response) -> None:
        token, expires_in = await self._read_token(response)
        ttl = max(expires_in, _MIN_TOKEN_SECONDS) - _EXPIRY_MARGIN
        self._tokens[scope] = (token, self.clock() + ttl)

    def _token_request(self, scope: str) -> httpx.Request:
        assert self._challenge is not None
        params = self._challenge.params
        realm = httpx.URL(params["realm"])
        self.token_requests += 1
        query = {"service": params.get("service", "")}
        if scope:
            query["scope"] = scope
        creds = self.credentials
        if creds is None or not (creds.username or creds.identity_token):
            return httpx.Request("GET", realm, params=query, headers=IDENTITY)
        self._check_realm(realm)
        if creds.identity_token:
            form = query | {
                "grant_type": "refresh_token",
                "refresh_token": creds.identity_token,
                "client_id": CLIENT_ID,
            }
            return httpx.Request("POST", realm, data=form, headers=IDENTITY)
        headers = IDENTITY | {"Authorization": self._basic_header()}
        return httpx.Request("GET", realm, params=query, headers=headers)

    def _check_realm(self, realm: httpx.URL) -> None:
        if realm.scheme == "https" or self.base_url.scheme == "http":
            return
        raise AuthFailedError(
            f"token realm {realm.host} is plain HTTP; refusing to send credentials",
            registry=self.base_url.netloc.decode(),
        )

    async def _read_token(self, response: httpx.Response) -> tuple[str, float]:
        registry = self.base_url.netloc.decode()
        realm = self._challenge.params.get("realm", "") if self._challenge else ""
        what = f"token service {httpx.URL(realm).host or '?'}"
        declared = response.headers.get("content-length", "")
        oversized = BodyTooLargeError(f"{what} sent an oversized response", registry=registry)
        if declared.isdigit() and int(declared) > _TOKEN_BODY_CAP:
            raise oversized
        check_encoding(response, what, registry=registry)
        # httpx reads this body again after the flow (`aread()`, cached): cap the stream
        # itself, so a chunked body without Content-Length is cut off at the cap too.
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = CappedStream(response.stream, _TOKEN_BODY_CAP, oversized)
        body = await response.aread()
        if response.status_code in (401, 403):
            raise AuthFailedError(
                f"{what} refused the credentials", registry=registry, status=response.status_code
            )
        if response.status_code != 200:
            raise RegistryTransientError(
                f"{what} failed", registry=registry, status=response.status_code
            )
        try:
            doc = json.loads(body)
            token = doc.get("token") or doc.get("access_token")
            expires_in = float(doc.get("expires_in") or _MIN_TOKEN_SECONDS)
        except (ValueError, AttributeError, TypeError) as err:
            raise RegistryTransientError(
                f"{what} sent an unreadable token response", registry=registry
            ) from err
        if not isinstance(token, str) or not token:
            raise RegistryTransientError(f"{what} sent no token", registry=registry)
        return token, expires_in
