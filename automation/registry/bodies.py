"""Reading response bodies with a size cap, so a hostile registry cannot exhaust memory.

The cap counts the bytes that actually arrive, never what `Content-Length` declares: a
chunked body has no declared length. We ask for `Accept-Encoding: identity` and refuse any
other content coding, so the bytes counted are the bytes kept (a 1 MiB gzip body can
inflate to 1 GiB).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from automation.errors import RegistryPermanentError

IDENTITY = {"Accept-Encoding": "identity"}


class BodyTooLargeError(RegistryPermanentError):
    """A response body exceeded the cap we allow for its kind (a smaller page size may help)."""


class UnwantedEncodingError(RegistryPermanentError):
    """The response is compressed although we asked for `identity`."""


def check_encoding(
    response: httpx.Response, what: str, *, registry: str = "", repository: str = ""
) -> None:
    coding = response.headers.get("content-encoding", "").strip().lower()
    if coding not in ("", "identity"):
        msg = f"{what}: response is {coding[:40]!r}-encoded although identity was asked for"
        raise UnwantedEncodingError(msg, registry=registry, repository=repository)


async def read_capped(
    response: httpx.Response, cap: int, what: str, *, registry: str = "", repository: str = ""
) -> bytes:
    """The whole body, or BodyTooLargeError as soon as more than `cap` bytes arrive."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        await response.aclose()
        msg = f"{what}: body of {declared} bytes exceeds the {cap}-byte limit"
        raise BodyTooLargeError(msg, registry=registry, repository=repository)
    check_encoding(response, what, registry=registry, repository=repository)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():  # identity only: decoded == received
        size += len(chunk)
        if size > cap:
            await response.aclose()
            msg = f"{what}: body exceeds the {cap}-byte limit"
            raise BodyTooLargeError(msg, registry=registry, repository=repository)
        chunks.append(chunk)
    return b"".join(chunks)


class CappedStream(httpx.AsyncByteStream):
    """A response stream that fails once more than `cap` bytes have come through it.

    For bodies httpx itself reads (inside an auth flow, where the client calls `aread()`):
    replacing `response.stream` with this caps that read too.
    """

    def __init__(self, inner: httpx.AsyncByteStream, cap: int, error: BodyTooLargeError) -> None:
        self._inner = inner
        self._cap = cap
        self._error = error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0
        async for chunk in self._inner:
            size += len(chunk)
            if size > self._cap:
                raise self._error
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()
