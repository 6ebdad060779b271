"""End to end with a real registry: a signed webhook names one repository; the keys handed to
`on_scan` are what `scan_repositories(only=...)` takes, and only that repository is scanned."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from automation.config import load_config
from automation.config.base import ObjectKey
from automation.metrics import Metrics
from automation.server.listener import WebhookServer
from automation.state import open_store
from automation.steps.scan import scan_repositories
from tests.rig.images import push_tags, unique_repo
from tests.rig.registry import RegistryServer
from tests.server.conftest import endpoints_for, receiver


def test_webhook_triggers_a_scan_of_only_the_named_repository(
    registry: RegistryServer, tmp_path: Path
) -> None:
    pushed, quiet = unique_repo("hook"), unique_repo("hook")
    push_tags(registry, pushed, ["1.0.0", "1.1.0"])
    push_tags(registry, quiet, ["2.0.0"])
    policy = tmp_path / "repos.yaml"
    policy.write_text(
        "---\n".join(
            textwrap.dedent(f"""\
                apiVersion: image.toolkit.fluxcd.io/v1
                kind: ImageRepository
                metadata: {{name: {name}, namespace: apps}}
                spec: {{image: "{registry.host}/{repo}", interval: 1h, insecure: true}}
                """)
            for name, repo in (("pushed", pushed), ("quiet", quiet))
        )
    )
    config = load_config([policy])
    repositories = {str(k): r for k, r in config.image_repositories.items()}
    endpoints = endpoints_for([receiver("ci", "generic-hmac", "apps")])
    queued: list[set[str]] = []
    server = WebhookServer(
        "127.0.0.1",
        0,
        endpoints=lambda: endpoints,
        repositories=lambda: repositories,
        on_scan=queued.append,
        ready=lambda: True,
        metrics=Metrics(),
    )
    server.start()
    try:
        body = json.dumps({"image": f"{registry.host}/{pushed}:1.1.0@sha256:{'0' * 64}"}).encode()
        mac = hmac.new(b"token-of-ci", body, hashlib.sha256).hexdigest()
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("POST", endpoints[0].path, body, {"X-Signature": f"sha256={mac}"})
        assert conn.getresponse().status == 202
        conn.close()
    finally:
        server.stop()
    assert queued == [{"apps/pushed"}]

    store = open_store(None)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    outcomes = asyncio.run(scan_repositories(config, store, now, only=queued[0]))
    assert [(o.key, o.tag_count, o.error) for o in outcomes] == [("apps/pushed", 2, "")]
    assert store.get_scan(str(ObjectKey("apps", "quiet"))) is None
