"""Reading response bodies with a size cap, so a hostile registry cannot exhaust memory."""

from __future__ import annotations

import httpx

from automation.errors import RegistryPermanentError


class BodyTooLargeError(RegistryPermanentError):
    """A response body exceeded the cap we allow for its kind (a smaller page size may help)."""


async def read_capped(
    response: httpx.Response, cap: int, what: str, *, registry: str = "", repository: str = ""
) -> bytes:
    """The whole body, or BodyTooLargeError as soon as more than `cap` bytes arrive."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        await response.aclose()
        msg = f"{what}: body of {declared} bytes exceeds the {cap}-byte limit"
        raise BodyTooLargeError(msg, registry=registry, repository=repository)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            await response.aclose()
            msg = f"{what}: body exceeds the {cap}-byte limit"
            raise BodyTooLargeError(msg, registry=registry, repository=repository)
        chunks.append(chunk)
    return b"".join(chunks)
