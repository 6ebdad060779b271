"""The registry client's pool: idle connections checked by a direct socket poll."""

from __future__ import annotations

import asyncio
import socket

import httpcore

from automation.reference import parse_repository
from automation.registry import RegistryClient, ScanOptions, scan_repository
from automation.registry.pool import SocketCheckingBackend, is_socket_readable
from tests.rig import images
from tests.rig.registry import RegistryServer


def test_readable_means_data_or_a_closed_peer_or_a_closed_socket() -> None:
    ours, theirs = socket.socketpair()
    try:
        assert not is_socket_readable(ours)  # idle: the pool may reuse it
        theirs.sendall(b"x")
        assert is_socket_readable(ours)
        ours.recv(1)
        theirs.close()
        assert is_socket_readable(ours)  # the server hung up: the pool must drop it
    finally:
        ours.close()
    assert is_socket_readable(ours)  # closed on our side
    assert is_socket_readable(None)


def test_a_pooled_connection_closed_by_the_server_is_readable() -> None:
    async def run() -> tuple[bool, bool]:
        accepted: list[asyncio.StreamWriter] = []

        async def keep(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted.append(writer)

        server = await asyncio.start_server(keep, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        stream = await SocketCheckingBackend().connect_tcp("127.0.0.1", port)
        while not accepted:
            await asyncio.sleep(0.01)
        idle = stream.get_extra_info("is_readable")
        accepted[0].close()
        await accepted[0].wait_closed()
        for _ in range(100):  # the FIN arrives asynchronously
            if stream.get_extra_info("is_readable"):
                break
            await asyncio.sleep(0.01)
        closed = stream.get_extra_info("is_readable")
        await stream.aclose()
        server.close()
        return idle, closed

    assert asyncio.run(run()) == (False, True)


def test_the_client_pool_uses_the_socket_checking_backend(registry: RegistryServer) -> None:
    images.push_tags(registry, "pool/app", ["1.0", "1.1"])

    async def run() -> tuple[object, tuple[str, ...]]:
        async with RegistryClient(registry.host, ScanOptions(insecure=True)) as client:
            result = await scan_repository(client, parse_repository(f"{registry.host}/pool/app"))
            assert client._http is not None
            pool = client._http._transport._pool  # type: ignore[attr-defined]
            assert isinstance(pool, httpcore.AsyncConnectionPool)
            return pool._network_backend, result.tags

    backend, tags = asyncio.run(run())
    assert isinstance(backend, SocketCheckingBackend)
    assert tags == ("1.1", "1.0")
