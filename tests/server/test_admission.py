"""Slow clients against the real listener: deadlines, per-client limits, health past limits."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

from tests.server.conftest import Listener

SLOW_CLIENTS = 64


@contextlib.contextmanager
def slow_clients(port: int, count: int, every: float, path: str) -> Iterator[list[socket.socket]]:
    """`count` connections that each send their request one byte every `every` seconds, the
    first byte as soon as each is connected (so none sits idle into the read timeout)."""
    request = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789".encode()
    socks: list[socket.socket] = []
    connected, stop = threading.Event(), threading.Event()

    def send(sock: socket.socket, index: int) -> None:
        with contextlib.suppress(OSError):
            sock.send(request[index : index + 1])

    def trickle() -> None:
        for _ in range(count):
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            send(socks[-1], 0)
        connected.set()
        for index in range(1, len(request)):
            if stop.wait(every):
                return
            for sock in socks:
                send(sock, index)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        assert connected.wait(30)
        yield socks
    finally:
        stop.set()
        thread.join()
        for sock in socks:
            sock.close()


def poll_health(listener: Listener, seconds: float) -> list[tuple[int, float]]:
    """(status, seconds taken) of `GET /healthz` every 0.1 s for `seconds`."""
    answers = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        status = listener.request("GET", "/healthz")[0]
        answers.append((status, time.monotonic() - start))
        time.sleep(0.1)
    return answers


def test_slow_clients_do_not_take_healthz_down(
    listener_factory: Callable[..., Listener],
) -> None:
    """64 connections trickling bytes held every slot and /healthz answered 503."""
    listener = listener_factory()  # the defaults: 64 connections, 16 per client
    path = listener.endpoints["generic"].path
    with slow_clients(listener.server.port, SLOW_CLIENTS, 0.3, path):
        time.sleep(0.2)
        answers = poll_health(listener, 1.5)
    assert answers and all(status == 200 for status, _ in answers), answers
    assert max(took for _, took in answers) < 0.5


def test_a_trickling_client_is_cut_off_at_the_deadline(
    listener_factory: Callable[..., Listener],
) -> None:
    listener = listener_factory(request_deadline=0.5)
    path = listener.endpoints["generic"].path
    with slow_clients(listener.server.port, 1, 0.1, path) as (sock,):
        start = time.monotonic()
        sock.settimeout(5)
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(4096) == b""  # shut down by the server, nothing answered
        assert time.monotonic() - start < 1.5
    assert listener.scans == []


def test_one_client_gets_only_its_share_of_the_connections(
    listener_factory: Callable[..., Listener],
) -> None:
    listener = listener_factory(max_per_client=2)
    address = ("127.0.0.1", listener.server.port)
    held = [socket.create_connection(address, timeout=5) for _ in range(2)]
    try:
        for sock in held:
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # incomplete: holds a slot
        time.sleep(0.1)
        status, _, _ = listener.request("POST", listener.endpoints["generic"].path, b"{}")
        assert status == 503  # past this client's share: no webhook
        assert listener.request("GET", "/healthz")[:2] == (200, b"ok\n")
        assert listener.request("GET", "/readyz")[:2] == (503, b"not ready\n")
        listener.ready.set()
        assert listener.request("HEAD", "/readyz")[:2] == (200, b"")
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 5
    while listener.post("generic", b'{"image": "alpine"}')[0] != 202:
        assert time.monotonic() < deadline, "the slots were never given back"


def test_metrics_can_require_a_bearer_token(listener_factory: Callable[..., Listener]) -> None:
    listener = listener_factory(metrics_token="s3cret")
    status, _, response = listener.request("GET", "/metrics")
    assert status == 401 and response.getheader("WWW-Authenticate", "").startswith("Bearer")
    wrong = {"Authorization": "Bearer nope"}
    assert listener.request("GET", "/metrics", headers=wrong)[0] == 401
    right = {"Authorization": "Bearer s3cret"}
    status, body, _ = listener.request("GET", "/metrics", headers=right)
    assert status == 200 and b"# TYPE" in body
    assert listener.request("GET", "/healthz")[0] == 200  # probes need no token


def test_a_listener_can_leave_out_metrics_or_webhooks(
    listener_factory: Callable[..., Listener],
) -> None:
    hooks_only = listener_factory(routes=frozenset({"hooks", "health"}))
    assert hooks_only.request("GET", "/metrics")[0] == 404
    assert hooks_only.post("generic", b'{"image": "alpine"}')[0] == 202
    metrics_only = listener_factory(routes=frozenset({"metrics", "health"}))
    assert metrics_only.request("GET", "/metrics")[0] == 200
    path = metrics_only.endpoints["generic"].path
    assert metrics_only.request("POST", path, b'{"image": "alpine"}')[0] == 404
