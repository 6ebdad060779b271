"""ImageRepositories, Receivers and a running listener for the webhook tests."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from automation.config.base import ObjectKey
from automation.config.image import ImageRepository
from automation.config.receiver import Receiver
from automation.config.secret import Secret
from automation.metrics import Metrics
from automation.server import Endpoint, resolve_endpoints
from automation.server.listener import WebhookServer

PAYLOADS = Path(__file__).parent / "payloads"

# key -> spec.image; several spellings of one repository on purpose.
IMAGES = {
    "default/app": "myorg/app",
    "default/app-mirror": "docker.io/myorg/app",
    "default/alpine": "alpine",
    "default/quay-app": "quay.io/myorg/app",
    "default/quay-other": "quay.io/other/thing",
    "default/harbor-app": "harbor.example.com/team/app",
    "team/ghcr-app": "ghcr.io/octo-org/hello-world",
    "default/paused": "quay.io/myorg/app",
}


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def image_repository(key: str, image: str, *, suspend: bool = False) -> ImageRepository:
    namespace, name = key.split("/")
    return ImageRepository.model_validate(
        {
            "apiVersion": "image.toolkit.fluxcd.io/v1",
            "kind": "ImageRepository",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"image": image, "interval": "5m", "suspend": suspend},
        }
    )


def receiver(name: str, kind: str, namespace: str = "default", **spec: Any) -> Receiver:
    return Receiver.model_validate(
        {
            "apiVersion": "notification.toolkit.fluxcd.io/v1",
            "kind": "Receiver",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"type": kind, "secretRef": {"name": f"{name}-token"}, **spec},
        }
    )


def secret(name: str, token: str, namespace: str = "default") -> Secret:
    return Secret.model_validate(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "stringData": {"token": token},
        }
    )


@pytest.fixture
def repositories() -> dict[str, ImageRepository]:
    return {
        key: image_repository(key, image, suspend=key == "default/paused")
        for key, image in IMAGES.items()
    }


def endpoints_for(receivers: list[Receiver]) -> list[Endpoint]:
    """Each receiver's Secret is `<name>-token` holding `token-of-<name>`."""
    secrets = {
        ObjectKey(r.metadata.namespace, f"{r.metadata.name}-token"): secret(
            f"{r.metadata.name}-token", f"token-of-{r.metadata.name}", r.metadata.namespace
        )
        for r in receivers
    }
    return resolve_endpoints(receivers, secrets)


@dataclass
class Listener:
    """A started WebhookServer plus what it called back."""

    server: WebhookServer
    metrics: Metrics
    endpoints: dict[str, Endpoint]
    scans: list[set[str]] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)
    fail_scan: bool = False

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            response = conn.getresponse()
            return response.status, response.read(), response
        finally:
            conn.close()

    def post(
        self, receiver: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """POST to the receiver's own path; the JSON answer decoded."""
        status, data, _ = self.request("POST", self.endpoints[receiver].path, body, headers)
        return status, json.loads(data) if data else {}


RECEIVERS = [
    receiver("hub", "dockerhub"),
    receiver("quay", "quay"),
    receiver("harbor", "harbor"),
    receiver("github", "github", "team"),
    receiver("generic", "generic"),
    receiver("signed", "generic-hmac"),
    receiver(
        "scoped",
        "generic",
        resources=[{"kind": "ImageRepository", "name": "quay-app"}],
    ),
    receiver("paused", "dockerhub", suspend=True),
]


@pytest.fixture
def listener_factory(
    repositories: dict[str, ImageRepository],
) -> Iterator[Callable[..., Listener]]:
    started: list[WebhookServer] = []

    def start(**options: Any) -> Listener:
        endpoints = endpoints_for(RECEIVERS)
        metrics = Metrics()
        box: list[Listener] = []

        def on_scan(keys: set[str]) -> None:
            if box[0].fail_scan:
                raise RuntimeError("queue is closed")
            box[0].scans.append(keys)

        server = WebhookServer(
            "127.0.0.1",
            0,
            endpoints=lambda: endpoints,
            repositories=lambda: repositories,
            on_scan=on_scan,
            ready=lambda: box[0].ready.is_set(),
            metrics=metrics,
            **options,
        )
        listener = Listener(server, metrics, {e.receiver.metadata.name: e for e in endpoints})
        box.append(listener)
        server.start()
        started.append(server)
        return listener

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def listener(listener_factory: Callable[..., Listener]) -> Listener:
    return listener_factory()
