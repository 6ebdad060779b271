"""A scriptable fake registry for fault injection (httpx.MockTransport), and a fake sleep.

Only for faults a real registry will not produce on demand; happy paths run against the
real registry in test_real_registry.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from automation.reference import ImageName, parse_repository
from automation.registry import RegistryClient, ScanOptions
from automation.registry.limits import RetryPolicy

Handler = Callable[[httpx.Request], httpx.Response]
HOST = "reg.test"


@dataclass
class FakeSleep:
    """Records the delays the client asked for instead of sleeping."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@dataclass
class Recorder:
    """Wraps a handler; answers `GET /v2/` with 200 and records every request."""

    handler: Handler
    requests: list[httpx.Request] = field(default_factory=list)
    # The auth flow re-sends the same Request object, so headers are snapshotted here.
    sent_auth: list[tuple[str, str | None]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.sent_auth.append((request.url.path, request.headers.get("Authorization")))
        if request.url.path == "/v2/":
            return httpx.Response(200, json={})
        return self.handler(request)

    def api_auth(self) -> list[str | None]:
        """The Authorization header of each non-probe request, as it was sent."""
        return [value for path, value in self.sent_auth if path != "/v2/"]

    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/v2/"]


def tags_body(tags: list[Any], name: str = "team/app") -> bytes:
    return json.dumps({"name": name, "tags": tags}).encode()


def image(path: str = "team/app", host: str = HOST) -> ImageName:
    return parse_repository(f"{host}/{path}")


def mock_client(
    handler: Handler,
    options: ScanOptions | None = None,
    *,
    host: str = HOST,
    sleep: FakeSleep | None = None,
) -> tuple[RegistryClient, Recorder, FakeSleep]:
    recorder = Recorder(handler)
    fake_sleep = sleep or FakeSleep()
    opts = options or ScanOptions(rate=None, retry=RetryPolicy(attempts=4))
    client = RegistryClient(host, opts, transport=httpx.MockTransport(recorder), sleep=fake_sleep)
    return client, recorder, fake_sleep
