"""Resolving the digests a pin writes: index children by platform, several registries at once
(real registries)."""

from __future__ import annotations

import asyncio

from automation.pinning.lookups import Lookup, Resolved, lookup_for, resolve_lookups
from automation.registry.platforms import Platform
from tests.pinning.conftest import plain_access, unique_ns
from tests.rig.images import push_image, push_index
from tests.rig.registry import RegistryServer


def test_docker_manifest_list_child_and_index_without_platform(registry: RegistryServer) -> None:
    ns = unique_ns()
    docker = push_index(registry, f"{ns}/list", "1", docker_list=True)
    ref = registry.ref(f"{ns}/list", "1")
    lookups = [lookup_for(ref), lookup_for(f"{ref}@{docker.digest}")]

    answers = asyncio.run(resolve_lookups(lookups, plain_access(Platform("linux", "amd64"))))
    assert answers[lookups[0]] == Resolved(docker.children[("linux", "amd64")])
    # A digest already written is verified as it is, never swapped for a child.
    assert answers[lookups[1]] == Resolved(docker.digest)

    plain = asyncio.run(resolve_lookups(lookups[:1], plain_access()))
    assert plain[lookups[0]] == Resolved(docker.digest)


def test_lookups_across_registries_resolve_together(
    registry: RegistryServer, registry_factory: object
) -> None:
    ns = unique_ns()
    first = push_image(registry, f"{ns}/a", "1")
    other = registry_factory()  # type: ignore[operator]
    second = push_image(other, f"{ns}/b", "2")
    lookups = [lookup_for(registry.ref(f"{ns}/a", "1")), lookup_for(other.ref(f"{ns}/b", "2"))]
    missing = Lookup(lookups[0].image, "nope")

    answers = asyncio.run(resolve_lookups([*lookups, *lookups, missing], plain_access()))

    assert answers == {
        lookups[0]: Resolved(first.digest),
        lookups[1]: Resolved(second.digest),
        missing: Resolved(error="tag 'nope' not found (HTTP 404)"),
    }
