"""The scan step: when an ImageRepository is due (time as a parameter), and against the real
registry, results and failures landing on each object."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.config import load_config
from automation.state.sqlite import SQLiteStore
from automation.steps.scan import is_scan_due, scan_repositories
from tests.rig.images import push_image
from tests.rig.registry import RegistryServer

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("last_scan", "spec_changed", "forced", "due"),
    [
        (None, False, False, True),  # never scanned
        (NOW - timedelta(minutes=10), False, False, False),  # well within the interval
        (NOW - HOUR, False, False, True),  # exactly one interval ago
        (NOW - HOUR + timedelta(milliseconds=500), False, False, True),  # < 1 s left: due
        (NOW - HOUR + timedelta(seconds=2), False, False, False),  # 2 s left: not yet
        (NOW - timedelta(days=3), False, False, True),  # long overdue
        (NOW - timedelta(minutes=1), True, False, True),  # spec changed
        (NOW - timedelta(minutes=1), False, True, True),  # forced (requestedAt)
        (NOW + timedelta(minutes=5), False, False, True),  # clock went back: scan
    ],
)
def test_is_scan_due(
    last_scan: datetime | None, spec_changed: bool, forced: bool, due: bool
) -> None:
    assert is_scan_due(NOW, last_scan, HOUR, spec_changed, forced) is due


def _policies(tmp_path: Path, host: str, repos: list[str]) -> Path:
    path = tmp_path / "policies"
    path.mkdir()
    (path / "repos.yaml").write_text(
        "---\n".join(
            f"apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
            f"metadata: {{name: r{i}, namespace: apps}}\n"
            f"spec:\n  image: {host}/{repo}\n  interval: 1h\n  insecure: true\n"
            for i, repo in enumerate(repos)
        )
    )
    return path


def test_a_locked_state_store_fails_each_repository_not_the_run(
    registry: RegistryServer, tmp_path: Path
) -> None:
    repos = [f"locked/{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for repo in repos:
        push_image(registry, repo, "1.0.0")
    config = load_config([_policies(tmp_path, registry.host, repos)])
    store = SQLiteStore(tmp_path / "s.db", busy_timeout=0.05, retry_delay=0.01)
    other = sqlite3.connect(str(store.path), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        outcomes = asyncio.run(scan_repositories(config, store, NOW))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert [o.key for o in outcomes] == ["apps/r0", "apps/r1"]
    assert all("database is locked" in o.error for o in outcomes)

    # Once the lock is gone the next run stores both results.
    outcomes = asyncio.run(scan_repositories(config, store, NOW, force=True))
    assert [(o.error, o.tag_count) for o in outcomes] == [("", 1), ("", 1)]
    store.close()
