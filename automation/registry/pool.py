"""The connection pool of one registry client: httpx's transport over httpcore's pool.

In: the TLS context and `httpx.Limits`. Out: an `httpx.AsyncHTTPTransport` whose pool asks
its idle connections "has the server closed you?" cheaply.

httpcore's pool re-examines every connection each time a request enters or leaves it
(`AsyncConnectionPool._assign_requests_to_connections`), asking each idle one whether its
socket is readable (`AsyncHTTP11Connection.has_expired`). Through the anyio backend that
question rebuilds the stream's whole attribute table (a `getpeername` call and a dict of
lambdas) before one `poll`: in a cold scan of 500 repositories it was half of the pool's
CPU time. The streams here keep the socket and answer with the `poll` alone; everything
else is the anyio backend's own. Requests are already bounded before they reach the pool
(`RegistryClient` holds a slot per request, as many as the pool has connections), so the
pool never queues more requests than it has connections.
"""

from __future__ import annotations

import select
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

# httpcore's `SOCKET_OPTION`: (level, option, value) or (level, option, None, length).
SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


def pooled_transport(context: ssl.SSLContext, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(verify=context, limits=limits)
    # httpx builds its pool without a way to pass a network backend: the same pool, with one.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=SocketCheckingBackend(),
    )
    return transport


def is_socket_readable(sock: socket.socket | None) -> bool:
    """True when a read would not block: data, or (for an idle connection) the peer closed.
    A closed socket counts as readable, as in httpcore's `_utils.is_socket_readable`."""
    if sock is None or sock.fileno() < 0:
        return True
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class SocketCheckingStream(httpcore.AsyncNetworkStream):
    """An anyio stream that answers `is_readable` from its socket directly."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return SocketCheckingStream(tls)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            return is_socket_readable(self._socket)
        return self._inner.get_extra_info(info)


class SocketCheckingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, handing out `SocketCheckingStream`s."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return SocketCheckingStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout, socket_options)
        return SocketCheckingStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
