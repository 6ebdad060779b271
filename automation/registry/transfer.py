"""Streamed blob downloads on top of `RegistryClient` (uploads use its `exchange(content=)`).

In: a registry host and `ScanOptions` (as for scanning). Out: blob downloads whose chunks are
never all held in memory. Downloads share the client's concurrency slots, rate limiter,
connection pool and auth.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from automation.registry.bodies import check_encoding, read_capped
from automation.registry.client import ERROR_BODY_CAP, RegistryClient
from automation.registry.faults import error_for_exception, error_for_status

STREAM_CHUNK = 1 << 20  # bytes asked of the network per read while streaming a blob


class TransferClient(RegistryClient):
    """A `RegistryClient` that can also stream blobs. Use `async with`."""

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
                check_encoding(response, what, **names)  # no inflating: digests cover bytes
                yield BlobStream(response, what, self.host, repository)
            finally:
                await response.aclose()


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
