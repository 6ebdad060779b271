"""The daemon in-process against the real registry and a real remote: triggers and backoff."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from automation.daemon.plan import spread
from automation.daemon.policysource import LocalPolicySource, load_sources
from automation.daemon.runner import Daemon, DaemonOptions
from automation.state import open_store
from tests.daemon.daemonproc import DEPLOY, policies
from tests.rig.git_remotes import GitRemote, read_file_at, seed
from tests.rig.images import push_image
from tests.rig.registry import RegistryServer

ZERO = timedelta(0)
BROKEN = """\
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {{name: broken, namespace: apps}}
spec: {{image: "{host}/nothing/here-{suffix}", interval: 1h, insecure: true}}
"""


async def _until(probe: Callable[[], object], timeout: float = 15) -> None:
    async with asyncio.timeout(timeout):
        while not probe():
            await asyncio.sleep(0.05)


def _daemon(tmp_path: Path, text: str) -> Daemon:
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    (folder / "all.yaml").write_text(text)
    sources = (LocalPolicySource(folder),)
    options = DaemonOptions(sources, (), tmp_path / "cache", timedelta(hours=1), jitter=ZERO)
    return Daemon(load_sources(sources, [], tmp_path), open_store(tmp_path / "s.db"), options)


def _run(daemon: Daemon, body: Callable[[Daemon], Awaitable[None]]) -> None:
    async def main() -> None:
        await daemon.start()
        try:
            await body(daemon)
        finally:
            await daemon.stop()
            daemon.store.close()

    asyncio.run(main())


def test_requested_scan_runs_the_chain_long_before_the_interval(
    registry: RegistryServer, bare_remote: GitRemote, tmp_path: Path
) -> None:
    repo = f"daemon/hook-{uuid.uuid4().hex[:8]}"
    image = f"{registry.host}/{repo}"
    seed(bare_remote, {"clusters/app.yaml": DEPLOY.format(image=image)}, "add app")
    push_image(registry, repo, "1.0.0")
    text = policies(registry, repo, bare_remote.file_url, scan_interval="1h")
    daemon = _daemon(tmp_path, text)

    async def body(d: Daemon) -> None:
        await _until(lambda: d.store.get_policy("apps/app") is not None)  # the start-up scan

        # The start-up scan's next run is spread over half to one and a half intervals; it is
        # set when the scan job returns, which may be a moment after the policy is stored.
        def spread_out() -> bool:
            next_scan, now = d.scheduler.next_run("scan:apps/app"), datetime.now(UTC)
            expected = now + spread("apps/app", timedelta(hours=1))
            return next_scan is not None and abs(next_scan - expected) < timedelta(seconds=5)

        await _until(spread_out, timeout=5)
        push_image(registry, repo, "1.3.0")
        # What the webhook listener does: call on_scan from its own thread.
        threading.Thread(target=d.request_scan, args=({"apps/app", "apps/unknown"},)).start()
        await _until(lambda: "1.3.0" in read_file_at(bare_remote, "main", "clusters/app.yaml"))

    _run(daemon, body)


def test_a_failing_repository_backs_off_while_the_others_keep_their_schedule(
    registry: RegistryServer, bare_remote: GitRemote, tmp_path: Path
) -> None:
    repo = f"daemon/backoff-{uuid.uuid4().hex[:8]}"
    seed(bare_remote, {"clusters/app.yaml": "x: 1\n"}, "seed")
    push_image(registry, repo, "1.0.0")
    broken = BROKEN.format(host=registry.host, suffix=uuid.uuid4().hex[:8])
    text = policies(registry, repo, bare_remote.file_url, scan_interval="1h") + broken
    daemon = _daemon(tmp_path, text)

    async def body(d: Daemon) -> None:
        broken = "scan:apps/broken"
        for failures, delay in ((1, 5), (2, 10), (3, 20)):
            await _until(lambda n=failures: d.chain.failures.get(broken) == n)  # type: ignore[misc]
            next_run = d.scheduler.next_run(broken)
            expected = datetime.now(UTC) + timedelta(seconds=delay)
            assert next_run is not None and abs(next_run - expected) < timedelta(seconds=1)
            d.request_scan({"apps/broken"})  # do not wait out the backoff in real time
        good = d.scheduler.next_run("scan:apps/app")
        assert good is not None and good > datetime.now(UTC) + timedelta(minutes=29)
        assert "scan:apps/app" not in d.chain.failures
        scan = d.store.get_scan("apps/broken")
        assert scan is not None and "nothing/here" in scan.last_error

    _run(daemon, body)


def test_an_always_policy_follows_a_moved_digest_on_its_own_interval(
    registry: RegistryServer, bare_remote: GitRemote, tmp_path: Path
) -> None:
    repo = f"daemon/always-{uuid.uuid4().hex[:8]}"
    image = f"{registry.host}/{repo}"
    seed(bare_remote, {"clusters/app.yaml": DEPLOY.format(image=image)}, "add app")
    first = push_image(registry, repo, "1.0.0")
    text = policies(registry, repo, bare_remote.file_url, scan_interval="1h").replace(
        '    semver: {range: "^1.0"}\n',
        '    semver: {range: "^1.0"}\n  digestReflectionPolicy: Always\n  interval: 1s\n',
    )
    daemon = _daemon(tmp_path, text)

    def deployed() -> str:
        return read_file_at(bare_remote, "main", "clusters/app.yaml")

    async def body(d: Daemon) -> None:
        assert "policy:apps/app" in d.scheduler.job_ids()
        await _until(lambda: f"1.0.0@{first.digest}" in deployed())
        moved = push_image(registry, repo, "1.0.0")  # same tag, new image: no new tag
        await _until(lambda: f"1.0.0@{moved.digest}" in deployed())
        scan = d.store.get_scan("apps/app")
        assert scan is not None and scan.tag_count == 1

    _run(daemon, body)


def test_a_deleted_repository_loses_its_tag_gauge(registry: RegistryServer, tmp_path: Path) -> None:
    from automation.config import load_config
    from automation.metrics import Metrics

    text = BROKEN.format(host=registry.host, suffix=uuid.uuid4().hex[:6])
    daemon = _daemon(tmp_path, text)
    metrics = Metrics()
    daemon.observer = metrics
    metrics.scan_finished("apps/broken", 0.1, 3, None)
    empty = tmp_path / "empty"
    empty.mkdir()

    async def body(d: Daemon) -> None:
        d.apply(load_config([empty]))

    _run(daemon, body)
    assert b'repository="apps/broken"' not in metrics.render()[0]
