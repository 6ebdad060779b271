"""Who gets a handler thread, for how long, and what happens to everyone else.

In: accepted sockets and their client address. Out: a decision (serve in a thread, or hand to
the overflow lane) and, for served connections, an absolute deadline after which the socket
is shut down, however slowly its client trickles bytes in (a per-read timeout alone lets a
client that sends a byte every few seconds hold a thread forever).

Past the global or the per-client connection limit, a connection goes to the overflow lane:
one selector thread that reads at most a request head, with a short deadline, and answers
`GET /healthz` and `GET /readyz` itself; anything else gets 503. So slow clients cannot take
the health endpoints down with them, and waiting in the lane costs a file descriptor, not a
thread.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from socketserver import BaseRequestHandler
from typing import Any

BUSY = b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\nRetry-After: 1\r\n\r\n"
HEAD_LIMIT = 4096  # a health probe's request head is ~100 bytes
HEALTH_PATHS = frozenset({b"/healthz", b"/readyz"})

Answer = Callable[[bytes], tuple[int, bytes]]  # health path -> (status, body)


@dataclass
class Admission:
    """Connection slots: `limit` in all, `per_client` for one address, each for `deadline` s."""

    limit: int
    per_client: int
    deadline: float
    clock: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _by_client: dict[str, int] = field(default_factory=dict)
    _expiry: dict[socket.socket, float] = field(default_factory=dict)

    def admit(self, sock: socket.socket, client: str) -> bool:
        with self._lock:
            held = self._by_client.get(client, 0)
            if len(self._expiry) >= self.limit or held >= self.per_client:
                return False
            self._by_client[client] = held + 1
            self._expiry[sock] = self.clock() + self.deadline
            return True

    def release(self, sock: socket.socket, client: str) -> None:
        with self._lock:
            if self._expiry.pop(sock, None) is None:
                return
            held = self._by_client.get(client, 0) - 1
            if held > 0:
                self._by_client[client] = held
            else:
                self._by_client.pop(client, None)

    def reap(self) -> int:
        """Shut down every served connection past its deadline; its handler then ends."""
        now = self.clock()
        with self._lock:
            late = [sock for sock, expiry in self._expiry.items() if expiry <= now]
            for sock in late:
                self._expiry[sock] = float("inf")  # once is enough
        for sock in late:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return len(late)


class AdmittingServer(ThreadingHTTPServer):
    """A thread per admitted connection; the rest to the overflow lane; late ones reaped."""

    daemon_threads = True
    request_queue_size = 128  # the listen backlog: with 5, a burst waits out SYN retries

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseRequestHandler],
        admission: Admission,
        lane: OverflowLane,
    ) -> None:
        self.admission = admission
        self.lane = lane  # set before binding: a failed bind calls server_close()
        super().__init__(address, handler)
        self.lane.start()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.admission.admit(request, str(client_address[0])):
            self.lane.take(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.admission.release(request, str(client_address[0]))
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.admission.release(request, str(client_address[0]))

    def service_actions(self) -> None:  # serve_forever calls this every poll interval
        self.admission.reap()

    def server_close(self) -> None:
        super().server_close()
        self.lane.stop()


@dataclass
class _Waiting:
    expiry: float
    head: bytearray = field(default_factory=bytearray)


class OverflowLane:
    """One thread answering health probes (and 503 to everything else) past the limits."""

    def __init__(
        self, answer: Answer, *, capacity: int = 256, deadline: float = 2.0, poll: float = 0.05
    ) -> None:
        self.answer = answer
        self.capacity = capacity
        self.deadline = deadline
        self.poll = poll
        self._selector = selectors.DefaultSelector()
        self._waiting: dict[socket.socket, _Waiting] = {}
        self._incoming: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="http-overflow", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()
        for sock in [*self._waiting, *self._incoming]:
            _close(sock)
        self._waiting.clear()
        self._incoming.clear()
        self._selector.close()

    def take(self, sock: socket.socket) -> None:
        """Hand over a connection (from the accepting thread); refused at once when full."""
        with self._lock:
            if self._stopped.is_set() or len(self._waiting) + len(self._incoming) >= self.capacity:
                full = True
            else:
                full = False
                self._incoming.append(sock)
        if full:
            _refuse(sock)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._adopt()
            for key, _ in self._selector.select(self.poll):
                self._read(key.fileobj)  # type: ignore[arg-type]
            now = time.monotonic()
            for sock in [s for s, w in self._waiting.items() if w.expiry <= now]:
                self._finish(sock, BUSY)

    def _adopt(self) -> None:
        with self._lock:
            incoming, self._incoming = self._incoming, []
        for sock in incoming:
            try:
                sock.setblocking(False)
                self._selector.register(sock, selectors.EVENT_READ)
            except (OSError, ValueError):
                _close(sock)
                continue
            self._waiting[sock] = _Waiting(time.monotonic() + self.deadline)

    def _read(self, sock: socket.socket) -> None:
        waiting = self._waiting[sock]
        try:
            data = sock.recv(HEAD_LIMIT)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._finish(sock, None)
            return
        waiting.head += data
        end = waiting.head.find(b"\r\n\r\n")
        if end < 0 and len(waiting.head) < HEAD_LIMIT:
            return
        self._finish(sock, self._response(bytes(waiting.head[: max(end, 0)])))

    def _response(self, head: bytes) -> bytes:
        method, _, rest = head.partition(b" ")
        path = rest.partition(b" ")[0].partition(b"?")[0]
        if method not in (b"GET", b"HEAD") or path not in HEALTH_PATHS:
            return BUSY
        status, body = self.answer(path)
        reason = b"OK" if status == 200 else b"Service Unavailable"
        lines = [
            b"HTTP/1.0 %d %s" % (status, reason),
            b"Content-Type: text/plain; charset=utf-8",
            b"Content-Length: %d" % len(body),
            b"",
            b"",
        ]
        return b"\r\n".join(lines) + (body if method == b"GET" else b"")

    def _finish(self, sock: socket.socket, response: bytes | None) -> None:
        self._waiting.pop(sock, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)
        if response is not None:
            with contextlib.suppress(OSError):
                sock.send(response)  # a few hundred bytes: fits any socket buffer at once
        _close(sock)


def _refuse(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(BUSY)
    _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
