"""`run --listen`: a webhook call scans at once, with the scan interval set to an hour."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from pathlib import Path

import httpx

from tests.daemon.daemonproc import DEPLOY, StartDaemon, policies, wait_until
from tests.rig.git_remotes import GitRemote, read_file_at, seed
from tests.rig.images import push_image
from tests.rig.registry import RegistryServer

RECEIVER = """\
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: {name: registry, namespace: apps}
spec:
  type: generic
  secretRef: {name: hook-token}
  resources: [{kind: ImageRepository, name: app}]
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: hook-token, namespace: apps}
stringData: {token: s3cret-hook-token}
"""


def test_webhook_triggers_the_scan_and_the_push_long_before_the_interval(
    registry: RegistryServer, bare_remote: GitRemote, tmp_path: Path, start_daemon: StartDaemon
) -> None:
    repo = f"daemon/webhook-{uuid.uuid4().hex[:8]}"
    image = f"{registry.host}/{repo}"
    seed(bare_remote, {"clusters/app.yaml": DEPLOY.format(image=image)}, "add app")
    push_image(registry, repo, "1.0.0")
    folder = tmp_path / "policies"
    folder.mkdir()
    text = policies(registry, repo, bare_remote.file_url, scan_interval="1h")
    (folder / "all.yaml").write_text(text + RECEIVER)
    (tmp_path / "secrets.yaml").write_text(SECRET)
    daemon = start_daemon(
        str(folder),
        extra=("--listen", "127.0.0.1:0", "--secrets", str(tmp_path / "secrets.yaml")),
    )
    line = daemon.wait_for_log(lambda m: m.startswith("listening on http://"))
    url = re.search(r"http://[0-9.:]+", line).group(0)  # type: ignore[union-attr]
    daemon.wait_for_log(lambda m: m.startswith("policy apps/app: latest"))

    push_image(registry, repo, "1.4.0")
    path = "/hook/" + hashlib.sha256(b"s3cret-hook-token" + b"registry" + b"apps").hexdigest()
    sent = time.monotonic()
    response = httpx.post(url + path, json={"image": image}, timeout=10)
    assert response.status_code == 202, response.text
    wait_until(
        lambda: "1.4.0" in read_file_at(bare_remote, "main", "clusters/app.yaml"), 15, daemon
    )
    assert time.monotonic() - sent < 10  # the scan interval is an hour
    assert "s3cret-hook-token" not in daemon.log_path.read_text()
    assert daemon.terminate() == 0


def test_metrics_on_a_port_of_their_own_behind_a_bearer_token(
    tmp_path: Path, start_daemon: StartDaemon
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "repo.yaml").write_text(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
        "metadata: {name: app, namespace: apps}\n"
        'spec: {image: "127.0.0.1:9/app", interval: 1h}\n'
    )
    (tmp_path / "metrics-token").write_text("m3trics-token\n")
    daemon = start_daemon(
        str(folder),
        extra=(
            "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
            "--metrics-token-file", str(tmp_path / "metrics-token"),
        ),
    )  # fmt: skip
    hooks = daemon.wait_for_log(lambda m: "webhooks under" in m)
    only_metrics = daemon.wait_for_log(lambda m: "/metrics (bearer token)" in m)
    hooks_url = re.search(r"http://[0-9.:]+", hooks).group(0)  # type: ignore[union-attr]
    metrics_url = re.search(r"http://[0-9.:]+", only_metrics).group(0)  # type: ignore[union-attr]
    assert "/metrics" not in hooks and hooks_url != metrics_url
    assert httpx.get(hooks_url + "/metrics", timeout=10).status_code == 404
    assert httpx.get(metrics_url + "/metrics", timeout=10).status_code == 401
    auth = {"Authorization": "Bearer m3trics-token"}
    response = httpx.get(metrics_url + "/metrics", headers=auth, timeout=10)
    assert response.status_code == 200 and "image_automation" in response.text
    assert httpx.get(metrics_url + "/healthz", timeout=10).status_code == 200
    assert "m3trics-token" not in daemon.log_path.read_text()
    assert daemon.terminate() == 0
