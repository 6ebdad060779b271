"""`--platform` parsing and matching (pure), and selection against real indexes."""

from __future__ import annotations

import asyncio

import pytest

from automation.errors import UsageError
from automation.pinning.lookups import Lookup, Resolved, lookup_for, resolve_lookups
from automation.registry.platforms import Platform, parse_platform
from tests.pinning.conftest import plain_access, unique_ns
from tests.rig.images import push_image, push_index
from tests.rig.registry import RegistryServer


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("linux/amd64", Platform("linux", "amd64")),
        ("linux/arm/v7", Platform("linux", "arm", "v7")),
        ("windows/amd64", Platform("windows", "amd64")),
    ],
)
def test_parse_platform(text: str, platform: Platform) -> None:
    assert parse_platform(text) == platform
    assert str(platform) == text


@pytest.mark.parametrize("text", ["linux", "linux/", "/amd64", "a/b/c/d", ""])
def test_parse_platform_rejects(text: str) -> None:
    with pytest.raises(UsageError, match="expected OS/ARCH"):
        parse_platform(text)


@pytest.mark.parametrize(
    ("wanted", "offered", "matches"),
    [
        ("linux/arm64", ("linux", "arm64", "v8"), True),
        ("linux/arm64/v8", ("linux", "arm64", ""), True),  # v8 is arm64's default
        ("linux/arm/v7", ("linux", "arm", ""), True),
        ("linux/arm/v6", ("linux", "arm", "v7"), False),
        ("linux/amd64", ("windows", "amd64", ""), False),
        ("linux/amd64", ("linux", "arm64", ""), False),
    ],
)
def test_platform_matching(wanted: str, offered: tuple[str, str, str], matches: bool) -> None:
    assert parse_platform(wanted).matches(*offered) is matches


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
