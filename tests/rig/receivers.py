"""Local HTTP receivers for notification tests: they record what arrives and answer with
the statuses a test scripts (a Slack or Teams webhook answers 200, Alertmanager 200,
a broken one 500). ``hang`` makes a receiver accept the connection and never answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.rig.ports import LOCALHOST


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


@dataclass
class Receiver:
    url: str = ""
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    hang: float = 0.0
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def wait(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            self.arrived.wait(0.05)
            self.arrived.clear()
        return self.received


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if receiver.hang:
                time.sleep(receiver.hang)
                return
            receiver.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
            )
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            receiver.arrived.set()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve_receiver(statuses: list[int] | None = None, hang: float = 0.0) -> Iterator[Receiver]:
    receiver = Receiver(statuses=list(statuses or []), hang=hang)
    server = ThreadingHTTPServer((LOCALHOST, 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://{LOCALHOST}:{server.server_address[1]}/hooks/T000/B000/XXXX"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
