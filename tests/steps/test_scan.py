"""The scan step against the real registry: results and failures land on each object."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

from automation.config import load_config
from automation.state.sqlite import SQLiteStore
from automation.steps.scan import scan_repositories
from tests.rig.images import push_image
from tests.rig.registry import RegistryServer

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


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
