"""Digest reflection against the real registry: all nine Never/IfNotPresent/Always transitions.

Flux's scenario (TestImagePolicyReconciler_digestReflection): the registry holds v1.0.0, v1.1.0,
v1.1.1 and v2.0.0; the range `v1.x` selects v1.1.1. Pass 1 evaluates the first policy; then every
tag is re-pushed with new content (digest d1 -> d2) and the policy may change; pass 2 evaluates.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.config import load_config
from automation.reference import LatestRef
from automation.state import StateStore, open_store
from automation.steps.evaluate import evaluate_policies
from automation.steps.scan import DigestResolver, scan_repositories
from tests.rig.images import push_image
from tests.rig.registry import RegistryServer

TAGS = ("v1.0.0", "v1.1.0", "v1.1.1", "v2.0.0")
T1 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
T2 = T1 + timedelta(minutes=10)


def write_policies(path: Path, registry: RegistryServer, repo: str, mode: str, rng: str) -> None:
    interval = "  interval: 10m\n" if mode == "Always" else ""
    path.write_text(
        f"""apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {{name: app}}
spec:
  image: {registry.host}/{repo}
  interval: 1h
  insecure: true
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {{name: app}}
spec:
  imageRepositoryRef: {{name: app}}
  policy:
    semver: {{range: "{rng}"}}
  digestReflectionPolicy: {mode}
{interval}"""
    )


def cycle(path: Path, store: StateStore, now: datetime) -> None:
    config = load_config([path])

    async def run() -> None:
        await scan_repositories(config, store, now, force=True)
        resolver = DigestResolver(config)
        try:
            (outcome,) = await evaluate_policies(config, store, resolver, now)
            assert not outcome.error, outcome.error
        finally:
            await resolver.aclose()

    asyncio.run(run())


# (first mode, second mode, second range, digest after pass 2 ("d1"/"d2"/"" or "d2:<tag>"),
#  observedPreviousRef after pass 2 as (tag, "d1"/"") or None)
ROWS = [
    ("Never", "Never", None, "", None),
    ("Never", "IfNotPresent", None, "d2", ("v1.1.1", "")),
    ("Never", "Always", None, "d2", ("v1.1.1", "")),
    ("IfNotPresent", "Never", None, "", ("v1.1.1", "d1")),
    ("IfNotPresent", "IfNotPresent", None, "d1", None),
    ("IfNotPresent", "Always", None, "d2", ("v1.1.1", "d1")),
    ("Always", "Never", None, "", ("v1.1.1", "d1")),
    ("Always", "IfNotPresent", None, "d1", None),
    ("Always", "Always", None, "d2", ("v1.1.1", "d1")),
    ("IfNotPresent", "IfNotPresent", "v2.x", "d2:v2.0.0", ("v1.1.1", "d1")),
    ("IfNotPresent", "IfNotPresent", "=v1.1.1", "d1", None),
]


@pytest.mark.parametrize(("first", "second", "second_range", "digest", "previous"), ROWS)
def test_transition(
    registry: RegistryServer,
    tmp_path: Path,
    first: str,
    second: str,
    second_range: str | None,
    digest: str,
    previous: tuple[str, str] | None,
) -> None:
    repo = f"reflect/{uuid.uuid4().hex[:10]}"
    d1 = {tag: push_image(registry, repo, tag).digest for tag in TAGS}
    policies, store = tmp_path / "policies.yaml", open_store(tmp_path / "state.db")
    name = f"{registry.host}/{repo}"

    write_policies(policies, registry, repo, first, "v1.x")
    cycle(policies, store, T1)
    after_one = store.get_policy("default/app")
    assert after_one is not None
    expected_one = "" if first == "Never" else d1["v1.1.1"]
    assert after_one.latest_ref == LatestRef(name, "v1.1.1", expected_one)
    assert after_one.observed_previous_ref is None

    d2 = {tag: push_image(registry, repo, tag).digest for tag in TAGS}  # every tag re-pushed
    assert d2["v1.1.1"] != d1["v1.1.1"]
    write_policies(policies, registry, repo, second, second_range or "v1.x")
    cycle(policies, store, T2)

    after_two = store.get_policy("default/app")
    assert after_two is not None and after_two.latest_ref is not None
    tag = digest.split(":", 1)[1] if digest.startswith("d2:") else "v1.1.1"
    wanted = {"": "", "d1": d1[tag], "d2": d2[tag]}[digest.split(":", 1)[0]]
    assert after_two.latest_ref == LatestRef(name, tag, wanted)
    if previous is None:
        assert after_two.observed_previous_ref is None
    else:
        prev_tag, prev_digest = previous
        assert after_two.observed_previous_ref == LatestRef(
            name, prev_tag, d1[prev_tag] if prev_digest == "d1" else ""
        )
    history = store.history("default/app")
    assert len(history) == (1 if previous is None else 2)
    if previous is not None:
        assert history[-1].ref == after_two.latest_ref
        assert history[-1].reason in {"policy change", "moved digest"}


def test_multi_arch_index_digest_is_what_a_pull_resolves(
    registry: RegistryServer, tmp_path: Path
) -> None:
    from tests.rig.images import push_index

    repo = f"reflect/{uuid.uuid4().hex[:10]}"
    index = push_index(registry, repo, "v1.1.1")
    policies, store = tmp_path / "policies.yaml", open_store(tmp_path / "state.db")
    write_policies(policies, registry, repo, "IfNotPresent", "v1.x")
    cycle(policies, store, T1)
    record = store.get_policy("default/app")
    assert record is not None and record.latest_ref is not None
    assert record.latest_ref.digest == index.digest
    assert record.message == (
        f"Latest image tag for {registry.host}/{repo} resolved to v1.1.1 with digest {index.digest}"
    )
