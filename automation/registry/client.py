"""The Registry HTTP API for one registry: list tags, resolve a tag's digest, fetch manifests.

In: a registry host and `ScanOptions`. Out: `TagList` and digests that passed the OCI
grammar, or a `RegistryError` naming registry, repository and status. One
`httpx.AsyncClient` per `RegistryClient`; every request goes through a concurrency slot,
the rate limiter and the retry policy, and bodies are read with a size cap.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

import httpx

from automation.errors import AutomationError, RegistryError, RegistryTransientError
from automation.reference import ImageName
from automation.registry import created, digests, signatures
from automation.registry.auth import AuthFailedError, RegistryAuth
from automation.registry.bodies import IDENTITY, read_capped
from automation.registry.credentials import lookup
from automation.registry.exchange import Reply
from automation.registry.faults import error_for_exception, error_for_status
from automation.registry.limits import RETRY_STATUSES, Clock, RateLimiter, Sleep, parse_retry_after
from automation.registry.options import ScanOptions
from automation.registry.pages import (
    MAX_PAGES,
    check_page,
    next_page_url,
    pagination_loop_error,
)
from automation.registry.pool import pooled_transport
from automation.registry.providers import LOGINS
from automation.registry.tags import CheckedTags
from automation.registry.transport import build_ssl_context, proxy_arguments, timeouts

log = logging.getLogger(__name__)

PAGE_BODY_CAP = 64 << 20
ERROR_BODY_CAP = 64 << 10
USER_AGENT = "image-automation/0.1"
READY_FAILURE_TTL = 30.0  # seconds a failed probe is remembered


@dataclass(frozen=True, slots=True)
class TagList:
    """Every grammatical tag of a repository in registry order, and what was dropped."""

    image: ImageName
    tags: list[str]
    dropped: int = 0
    dropped_samples: tuple[str, ...] = ()


class RegistryClient:
    """Async client for one registry host (`ImageName.registry_host`). Use `async with`."""

    def __init__(
        self,
        host: str,
        options: ScanOptions | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self.host = host
        self.options = options or ScanOptions()
        self.requests = 0  # HTTP attempts made (token requests excluded)
        self.auth: RegistryAuth | None = None
        self.base_url = ""
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        self._slots = asyncio.Semaphore(self.options.concurrency)
        self._rate = RateLimiter(self.options.rate, self.options.burst, clock=clock, sleep=sleep)
        self._ready = asyncio.Lock()
        self._http: httpx.AsyncClient | None = None
        self._failure: tuple[AutomationError, float] | None = None

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    async def ready(self) -> None:
        """Look up credentials, pick the scheme, learn the auth challenge: once per client."""
        async with self._ready:
            if self.auth is not None:
                return
            if self._failure is not None and self._clock() < self._failure[1]:
                raise self._failure[0]  # many scans waiting on one dead registry fail fast
            try:
                credentials = await lookup(self.options.credentials, self.host)
                if self._http is None:
                    self._http = self._build_http()
                probe = await self._probe()
                if credentials is None and self.options.credentials.provider != "generic":
                    provider = self.options.credentials.provider
                    if self.base_url.startswith("http:"):
                        log.warning(
                            "%s: provider %s over plain HTTP (insecure)", self.host, provider
                        )
                    credentials = await LOGINS.credentials(provider, self.host, self._post_form)
            except AutomationError as err:
                self._failure = (err, self._clock() + READY_FAILURE_TTL)
                raise
            self.auth = RegistryAuth(self.base_url, credentials, clock=self._clock)
            if probe.status == 401:
                self.auth.learn(probe.headers, probe.url)

    async def _post_form(self, path: str, form: dict[str, str]) -> tuple[int, bytes]:
        """POST a form to this registry before auth is set up (ACR's token exchange)."""
        content = str(httpx.QueryParams(form)).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        reply = await self.exchange(
            "POST",
            f"{self.base_url}{path}",
            what="token exchange",
            headers=headers,
            content=content,
        )
        return reply.status, reply.body

    def _build_http(self) -> httpx.AsyncClient:
        limits = httpx.Limits(
            max_connections=self.options.concurrency,
            max_keepalive_connections=self.options.concurrency,
        )
        extra = {} if self._transport is not None else proxy_arguments(self.options)
        context = build_ssl_context(
            self.options.ca_pem, self.options.client_cert_pem, self.options.client_key_pem
        )
        return httpx.AsyncClient(
            verify=context,
            timeout=timeouts(self.options),
            limits=limits,
            transport=self._transport or pooled_transport(context, limits),
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT} | IDENTITY,
            **extra,
        )

    async def _probe(self) -> Reply:
        """`GET /v2/` over HTTPS; with `insecure`, plain HTTP when HTTPS cannot connect."""
        schemes = ["https", "http"] if self.options.insecure else ["https"]
        first_error: RegistryError | None = None
        for scheme in schemes:
            self.base_url = f"{scheme}://{self.host}"
            try:
                return await self.exchange(
                    "GET", f"{self.base_url}/v2/", what="connect", retry=scheme == schemes[-1]
                )
            except RegistryError as err:
                first_error = first_error or err
        assert first_error is not None
        raise first_error

    async def exchange(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        what: str,
        repository: str = "",
        headers: Mapping[str, str] | None = None,
        cap: int = ERROR_BODY_CAP,
        retry: bool = True,
        content: bytes | None = None,
    ) -> Reply:
        """One request with retries on 429/5xx/transport faults; the reply is fully read.

        A request with a body (`content`: a manifest or an upload chunk) is never retried
        here: a half-applied upload session cannot be replayed, so the caller starts over.
        """
        policy = self.options.retry
        attempt = 0
        while True:
            attempt += 1
            may_retry = retry and content is None and policy.should_retry(attempt)
            try:
                reply = await self._attempt(method, url, what, repository, headers, cap, content)
            except RegistryTransientError:
                if not may_retry:
                    raise
                await self._sleep(policy.delay(attempt))
                continue
            if reply.status not in RETRY_STATUSES or not may_retry:
                return reply
            retry_after = None
            if reply.status in (429, 503):
                retry_after = parse_retry_after(reply.headers.get("retry-after"))
            log.info("%s %s: HTTP %d, retrying", self.host, what, reply.status)
            await self._sleep(policy.delay(attempt, retry_after))

    async def _attempt(
        self,
        method: str,
        url: str | httpx.URL,
        what: str,
        repository: str,
        headers: Mapping[str, str] | None,
        cap: int,
        content: bytes | None = None,
    ) -> Reply:
        assert self._http is not None
        names = {"registry": self.host, "repository": repository}
        async with self._slots:
            await self._rate.acquire()
            self.requests += 1
            try:
                request = self._http.build_request(method, url, headers=headers, content=content)
                response = await self._http.send(request, auth=self.auth, stream=True)
                try:
                    limit = cap if response.status_code < 400 else ERROR_BODY_CAP
                    body = await read_capped(response, limit, what, **names)
                finally:
                    await response.aclose()
                    if content is not None:
                        _release(response)
            except (httpx.HTTPError, ssl.SSLError) as err:
                raise error_for_exception(err, what=what, **names) from err
            except AuthFailedError:
                self._forget_cloud_login()
                raise
        if response.status_code == 401:
            self._forget_cloud_login()
        return Reply(response.status_code, response.headers, body, response.url)

    def _forget_cloud_login(self) -> None:
        """A refused cloud login (revoked, or expired early) is not reused by the next client."""
        provider = self.options.credentials.provider
        if provider != "generic" and self.auth is not None:
            LOGINS.forget(provider, self.host)

    def _check(self, image: ImageName) -> None:
        if image.registry_host != self.host:
            raise ValueError(f"{image.canonical} is not served by {self.host}")

    async def tag_pages(self, image: ImageName) -> AsyncIterator[CheckedTags]:
        """Each page of `tags/list`, checked; follows `Link: <...>; rel="next"`."""
        self._check(image)
        await self.ready()
        first = httpx.URL(f"{self.base_url}/v2/{image.repository}/tags/list")
        if self.options.page_size:
            first = first.copy_merge_params({"n": str(self.options.page_size)})
        url: httpx.URL | None = first
        seen: set[str] = set()
        names = {"registry": self.host, "repository": image.repository}
        while url is not None:
            if str(url) in seen or len(seen) >= MAX_PAGES:
                raise pagination_loop_error(len(seen), **names)
            seen.add(str(url))
            reply = await self.exchange(
                "GET", url, what="list tags", repository=image.repository, cap=PAGE_BODY_CAP
            )
            if reply.status != 200:
                raise error_for_status(reply.status, reply.body, what="list tags", **names)
            yield check_page(reply.body, **names)
            url = next_page_url(reply.url, reply.headers, self.options.insecure, **names)

    async def list_tags(self, image: ImageName) -> TagList:
        """All tags (registry order). Invalid names are dropped and logged, never returned."""
        tags: list[str] = []
        dropped = 0
        samples: list[str] = []
        async for page in self.tag_pages(image):
            tags.extend(page.valid)
            dropped += page.dropped
            samples.extend(page.dropped_samples[: max(0, 5 - len(samples))])
        if dropped:
            log.warning(
                "%s: dropped %d tag(s) that are not valid OCI tag names, e.g. %s",
                image.canonical,
                dropped,
                ", ".join(samples),
            )
        return TagList(image=image, tags=tags, dropped=dropped, dropped_samples=tuple(samples))

    async def resolve_digest(self, image: ImageName, tag: str) -> str:
        """The digest the registry reports for `image:tag` (see `digests.resolve_digest`)."""
        self._check(image)
        return await digests.resolve_digest(self, image, tag)

    async def image_created(self, image: ImageName, tag: str) -> tuple[str, datetime | None]:
        """The digest of `image:tag` and its config's `created` (see `created.image_created`)."""
        self._check(image)
        return await created.image_created(self, image, tag)

    async def image_config(
        self, image: ImageName, tag: str, digest: str = ""
    ) -> created.ImageConfig:
        """What the config of `image:tag` says (one HEAD unless `digest` is known; the config
        is read once per digest, see `created.image_config_at`)."""
        self._check(image)
        if not digest:
            digest = await digests.resolve_digest(self, image, tag)
        return await created.image_config_at(self, image, digest)

    async def signature_problem(
        self, image: ImageName, digest: str, keys: list[signatures.PublicKey] | signatures.Verifier
    ) -> str | None:
        """None when `image@digest` is cosign-signed by one of `keys`, else why not."""
        self._check(image)
        return await signatures.signature_problem(self, image, digest, keys)

    async def fetch_manifest(self, image: ImageName, reference: str) -> digests.Manifest:
        """The manifest (or index) for a tag or digest, with its computed digest."""
        self._check(image)
        return await digests.fetch_manifest(self, image, reference)


def _release(response: httpx.Response) -> None:
    """Free a request body now. httpx links a response and its stream in a reference cycle,
    so the response (and the request with its multi-MiB chunk) would otherwise live until the
    cyclic GC runs, which rarely happens when few objects are allocated: measured, the memory
    held grew with the layer size instead of staying at a few chunks."""
    response.stream = httpx.ByteStream(b"")
