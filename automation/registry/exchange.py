"""What the manifest operations need from a registry client: one request, fully read.

`digests` and `platforms` work on any `Exchange`; `RegistryClient` is the one in use. The
protocol keeps them below the client, which offers them as methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx


@dataclass(frozen=True, slots=True)
class Reply:
    """A finished exchange: status, headers, the (capped) body and the final URL."""

    status: int
    headers: httpx.Headers
    body: bytes = field(repr=False)
    url: httpx.URL


class Exchange(Protocol):
    """A client bound to one registry host: `ready()` before the first `exchange()`."""

    host: str
    base_url: str

    async def ready(self) -> None: ...

    async def exchange(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        what: str,
        repository: str = ...,
        headers: Mapping[str, str] | None = ...,
        cap: int = ...,
    ) -> Reply: ...
