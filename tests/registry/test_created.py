"""An image's `created` time from its config, against the real registry; cached by digest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from automation.reference import parse_repository
from automation.registry import RegistryClient, ScanOptions
from automation.registry.created import (
    CreatedCache,
    ImageConfig,
    image_config,
    image_created,
    parse_created,
)
from automation.sourcelinks import ImageSource
from tests.rig import images
from tests.rig.registry import RegistryServer


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T10:00:00Z", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("2026-11-20T10:00:00.123456789Z", datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-20T12:00:00+02:00", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("2026-11-20t10:00:00z", datetime(2026, 11, 20, 10, tzinfo=UTC)),
        ("2026-11-20T10:00:00", None),  # no zone: ambiguous
        ("2026-13-40T10:00:00Z", None),
        ("yesterday", None),
        ("2026-11-20T10:00:00Z" + "0" * 100, None),
        (1732096800, None),
        (None, None),
    ],
)
def test_parse_created(text: object, expected: datetime | None) -> None:
    assert parse_created(text) == expected


def created_of(
    server: RegistryServer, repo: str, tag: str, cache: CreatedCache
) -> tuple[str, datetime | None]:
    async def run() -> tuple[str, datetime | None]:
        options = ScanOptions(insecure=True)
        async with RegistryClient(server.host, options) as client:
            return await image_created(
                client, parse_repository(f"{server.host}/{repo}"), tag, cache
            )

    return asyncio.run(run())


def test_created_is_read_once_per_digest(registry: RegistryServer) -> None:
    repo = images.unique_repo("created")
    pushed = images.push_image(registry, repo, "1.0.0", created="2026-11-01T08:30:00Z")
    images.retag(registry, pushed, "same")
    cache = CreatedCache()
    when = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert created_of(registry, repo, "1.0.0", cache) == (pushed.digest, when)
    assert created_of(registry, repo, "same", cache) == (pushed.digest, when)
    assert cache.fetches == 1
    moved = images.push_image(registry, repo, "1.0.0", created="2026-11-02T00:00:00Z")
    digest, built = created_of(registry, repo, "1.0.0", cache)
    assert (digest, built) == (moved.digest, datetime(2026, 11, 2, tzinfo=UTC))
    assert cache.fetches == 2


def test_index_uses_the_linux_amd64_child(registry: RegistryServer) -> None:
    repo = images.unique_repo("created")
    index = images.push_index(
        registry,
        repo,
        "multi",
        [("linux", "arm64"), ("linux", "amd64")],
        created={
            ("linux", "arm64"): "2020-01-01T00:00:00Z",
            ("linux", "amd64"): "2026-06-01T00:00:00Z",
        },
    )
    digest, built = created_of(registry, repo, "multi", CreatedCache())
    assert (digest, built) == (index.digest, datetime(2026, 6, 1, tzinfo=UTC))


def test_missing_or_garbage_created_is_none(registry: RegistryServer) -> None:
    repo = images.unique_repo("created")
    images.push_image(registry, repo, "none")
    images.push_image(registry, repo, "garbage", created="<script>")
    assert created_of(registry, repo, "none", CreatedCache())[1] is None
    assert created_of(registry, repo, "garbage", CreatedCache())[1] is None


def test_cache_is_bounded() -> None:
    cache = CreatedCache(size=2)
    for i in range(3):
        cache.put(f"sha256:{i}", None)
    assert cache.get("sha256:0") == (False, None)
    assert cache.get("sha256:2") == (True, None)


LABELS = {
    "org.opencontainers.image.source": "https://github.com/acme/web",
    "org.opencontainers.image.revision": "0123456789abcdef0123456789abcdef01234567",
    "org.opencontainers.image.version": "1.0.0",
    "org.opencontainers.image.url": "https://acme.example/web",
    "maintainer": "someone",  # not a source label: never kept
}


def config_of(
    server: RegistryServer, repo: str, tag: str, cache: CreatedCache
) -> tuple[str, ImageConfig]:
    async def run() -> tuple[str, ImageConfig]:
        options = ScanOptions(insecure=True)
        async with RegistryClient(server.host, options) as client:
            return await image_config(client, parse_repository(f"{server.host}/{repo}"), tag, cache)

    return asyncio.run(run())


def test_source_labels_come_with_created_in_one_read_per_digest(registry: RegistryServer) -> None:
    repo = images.unique_repo("labels")
    pushed = images.push_image(
        registry, repo, "1.0.0", created="2026-11-01T08:30:00Z", labels=LABELS
    )
    cache = CreatedCache()
    digest, config = config_of(registry, repo, "1.0.0", cache)
    assert digest == pushed.digest
    assert config.created == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert dict(config.labels) == {k: v for k, v in LABELS.items() if k != "maintainer"}
    assert config.source.source == "https://github.com/acme/web"
    # `created` for the same digest (a release gate) reads nothing more, nor does a re-read
    assert created_of(registry, repo, "1.0.0", cache)[1] == config.created
    assert config_of(registry, repo, "1.0.0", cache)[1] == config
    assert cache.fetches == 1


def test_an_index_gives_the_linux_amd64_childs_labels(registry: RegistryServer) -> None:
    repo = images.unique_repo("labels")
    images.push_index(
        registry,
        repo,
        "multi",
        [("linux", "arm64"), ("linux", "amd64")],
        labels={
            ("linux", "arm64"): {"org.opencontainers.image.revision": "arm"},
            ("linux", "amd64"): {"org.opencontainers.image.revision": "amd"},
        },
    )
    assert config_of(registry, repo, "multi", CreatedCache())[1].source.revision == "amd"


def test_hostile_labels_are_bounded_stripped_and_refused(registry: RegistryServer) -> None:
    repo = images.unique_repo("labels")
    hostile = {
        "org.opencontainers.image.source": "javascript:alert(document.cookie)",
        "org.opencontainers.image.revision": "abc\x1b]8;;https://evil\x07def\n",
        "org.opencontainers.image.version": ["not", "a", "string"],
        "org.opencontainers.image.url": "https://x/" + "a" * 10_000,
    }
    images.push_image(registry, repo, "bad", labels=hostile)
    images.push_image(registry, repo, "odd", labels=None)
    _, config = config_of(registry, repo, "bad", CreatedCache())
    assert config.source == ImageSource(revision="abc]8;;https://evildef")
    assert "javascript" in config.labels["org.opencontainers.image.source"]  # kept as text
    assert config_of(registry, repo, "odd", CreatedCache())[1] == ImageConfig()
