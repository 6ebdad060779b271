"""The cycle's order, shared by `reconcile` and the daemon: a partial policy pass (the daemon's)
mirrors only what it evaluated without error; a full pass mirrors every due copy."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from automation.config import load_config
from automation.state import open_store
from automation.steps.cycle import refresh_policies, scan_repositories
from tests.rig import images
from tests.rig.registry import RegistryFactory, RegistryServer
from tests.steps.test_mirror import NOW, mirror_block, mirror_digest, write_world


def test_a_partial_pass_mirrors_only_the_policies_it_evaluated(
    registry: RegistryServer, registry_factory: RegistryFactory, tmp_path: Path
) -> None:
    mirror = registry_factory()
    repo, mirror_repo = f"src/{uuid.uuid4().hex[:8]}", f"mirror/{uuid.uuid4().hex[:8]}"
    block = mirror_block(mirror, mirror_repo, rewrite=False, secret=False)
    config = load_config([write_world(tmp_path, registry, repo, block, digest_policy="Never")])
    store = open_store(tmp_path / "state.db")
    pushed = images.push_image(registry, repo, "1.0.0")
    asyncio.run(scan_repositories(config, store, NOW))

    other = asyncio.run(refresh_policies(config, store, NOW, only={"apps/other"}))
    unmirrored = asyncio.run(refresh_policies(config, store, NOW, only={"apps/app"}, mirror=False))
    policies, mirrors = asyncio.run(refresh_policies(config, store, NOW, only={"apps/app"}))

    assert other == ([], [])
    assert [p.key for p in unmirrored[0]] == ["apps/app"] and unmirrored[1] == []
    assert [p.key for p in policies] == ["apps/app"] and policies[0].skipped == "not due"
    assert mirrors == []  # evaluated, but skipped: nothing new to copy
    _, full = asyncio.run(refresh_policies(config, store, NOW))
    assert [m.key for m in full] == ["apps/app"]  # the full pass copies what is due
    assert mirror_digest(mirror, mirror_repo, "1.0.0") == pushed.digest

    newer = images.push_image(registry, repo, "1.1.0")
    asyncio.run(scan_repositories(config, store, NOW, force=True))
    policies, mirrors = asyncio.run(refresh_policies(config, store, NOW, only={"apps/app"}))
    assert policies[0].changed and [m.key for m in mirrors] == ["apps/app"]
    assert mirror_digest(mirror, mirror_repo, "1.1.0") == newer.digest
