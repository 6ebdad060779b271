"""Writing to a registry: request bodies and streamed downloads on top of `RegistryClient`.

In: a registry host and `ScanOptions` (as for scanning). Out: `Reply` values for requests
that carry a body (manifest and blob uploads), and streamed blob downloads whose chunks are
never all held in memory. Requests share the client's concurrency slots, rate limiter,
connection pool and auth (the auth flow asks for `pull,push` tokens on write paths).
Uploads with a body are not retried here: a half-applied upload session cannot be replayed,
so the caller starts over (and skips whatever already arrived).
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx

from automation.registry.bodies import read_capped
from automation.registry.client import ERROR_BODY_CAP, RegistryClient, Reply
from automation.registry.faults import error_for_exception, error_for_status

STREAM_CHUNK = 1 << 20  # bytes asked of the network per read while streaming a blob


class TransferClient(RegistryClient):
    """A `RegistryClient` that can also send bodies and stream blobs. Use `async with`."""

    async def send(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        what: str,
        repository: str,
        content: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request with a body, no retries; the (small) reply body is read."""
        await self.ready()
        assert self._http is not None
        names = {"registry": self.host, "repository": repository}
        async with self._slots:
            await self._rate.acquire()
            self.requests += 1
            try:
                request = self._http.build_request(method, url, content=content, headers=headers)
                response = await self._http.send(request, auth=self.auth, stream=True)
                try:
                    body = await read_capped(response, ERROR_BODY_CAP, what, **names)
                finally:
                    await response.aclose()
                    _release(response)
            except (httpx.HTTPError, ssl.SSLError) as err:
                raise error_for_exception(err, what=what, **names) from err
        return Reply(response.status_code, response.headers, body, response.url)

    @asynccontextmanager
    async def stream_blob(
        self, repository: str, digest: str, *, what: str
    ) -> AsyncIterator[BlobStream]:
        """GET a blob and yield its body as chunks; non-200 raises a `RegistryError`."""
        await self.ready()
        assert self._http is not None
        names = {"registry": self.host, "repository": repository}
        url = f"{self.base_url}/v2/{repository}/blobs/{digest}"
        async with self._slots:
            await self._rate.acquire()
            self.requests += 1
            try:
                request = self._http.build_request("GET", url)
                response = await self._http.send(request, auth=self.auth, stream=True)
            except (httpx.HTTPError, ssl.SSLError) as err:
                raise error_for_exception(err, what=what, **names) from err
            try:
                if response.status_code != 200:
                    body = await read_capped(response, ERROR_BODY_CAP, what, **names)
                    raise error_for_status(response.status_code, body, what=what, **names)
                yield BlobStream(response, what, self.host, repository)
            finally:
                await response.aclose()


def _release(response: httpx.Response) -> None:
    """Free the request body now. httpx links a response and its stream in a reference cycle,
    so the response (and the request with its multi-MiB chunk) would otherwise live until the
    cyclic GC runs, which rarely happens when few objects are allocated: measured, the memory
    held grew with the layer size instead of staying at a few chunks."""
    response.stream = httpx.ByteStream(b"")


class BlobStream:
    """The body of a blob download: its declared size and its chunks."""

    def __init__(self, response: httpx.Response, what: str, host: str, repository: str) -> None:
        self._response = response
        self._what = what
        self._names = {"registry": host, "repository": repository}
        declared = response.headers.get("content-length", "")
        self.size: int | None = int(declared) if declared.isdigit() else None

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes(STREAM_CHUNK):
                yield chunk
        except (httpx.HTTPError, ssl.SSLError) as err:
            raise error_for_exception(err, what=self._what, **self._names) from err
