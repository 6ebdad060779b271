"""What an image's config says about it: `created` and its source labels, cached by digest.

In: a client, an image and a tag (or a digest). Out: the digest the tag points at now and an
`ImageConfig`: the config's `created` instant (None when the config has none or it is
unreadable) and its OCI source labels (`config.Labels`, only the `org.opencontainers.image.*`
keys `sourcelinks.LABELS` names, cleaned there). A tag costs one HEAD; the manifest and config
are fetched once per digest (digests are immutable, so the cache never goes stale). For an
index, the `linux/amd64` child's config is read, else the first child's. Hostile input:
documents are size-capped, `created` is matched by a bounded pattern, labels are bounded and
stripped of control characters, nothing is evaluated further.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from automation.reference import ImageName
from automation.registry.digests import fetch_manifest, resolve_digest
from automation.registry.exchange import Exchange
from automation.registry.platforms import INDEX_MEDIA_TYPES, fetch_blob
from automation.registry.tags import is_valid_digest
from automation.sourcelinks import LABELS, ImageSource, clean_label

_RFC3339 = re.compile(
    r"^(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?([Zz]|[+-]\d\d:\d\d)$"
)
CACHE_SIZE = 4096


def parse_created(value: object) -> datetime | None:
    """RFC 3339 as Go writes it (up to nanoseconds) -> an aware datetime; else None."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    match = _RFC3339.match(value)
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    micro = (fraction or "0")[:6].ljust(6, "0")
    zone = "+00:00" if zone in ("Z", "z") else zone
    try:
        return datetime.fromisoformat(f"{day}T{clock}.{micro}{zone}").astimezone(UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class ImageConfig:
    """The parts of an image config this tool reads."""

    created: datetime | None = None
    labels: Mapping[str, str] = field(default_factory=dict)  # only `LABELS`, cleaned

    @property
    def source(self) -> ImageSource:
        return ImageSource.from_labels(self.labels)


def source_labels(settings: Mapping[str, Any]) -> dict[str, str]:
    """The `LABELS` of a config document's `config.Labels`, cleaned; the rest is ignored."""
    inner = settings.get("config")
    labels = inner.get("Labels") if isinstance(inner, dict) else None
    if not isinstance(labels, dict):
        return {}
    found = {key: clean_label(labels.get(key)) for key in LABELS}
    return {key: value for key, value in found.items() if value}


class CreatedCache:
    """digest -> `ImageConfig`, least recently used entries dropped beyond `size`."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.fetches = 0  # configs read from a registry
        self._entries: OrderedDict[str, ImageConfig] = OrderedDict()

    def get(self, digest: str) -> tuple[bool, datetime | None]:
        known = self.config(digest)
        return (known is not None, known.created if known is not None else None)

    def config(self, digest: str) -> ImageConfig | None:
        if digest not in self._entries:
            return None
        self._entries.move_to_end(digest)
        return self._entries[digest]

    def put(self, digest: str, created: datetime | ImageConfig | None) -> None:
        if not isinstance(created, ImageConfig):
            created = ImageConfig(created)
        self._entries[digest] = created
        self._entries.move_to_end(digest)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)


CREATED = CreatedCache()


def _document(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nesting past the stack
        return {}
    return doc if isinstance(doc, dict) else {}


def _child(index: dict[str, Any]) -> str | None:
    children = [m for m in index.get("manifests") or [] if isinstance(m, dict)]
    usable = [m for m in children if is_valid_digest(str(m.get("digest", "")))]
    for entry in usable:
        platform = entry.get("platform")
        if isinstance(platform, dict) and (platform.get("os"), platform.get("architecture")) == (
            "linux",
            "amd64",
        ):
            return str(entry["digest"])
    return str(usable[0]["digest"]) if usable else None


async def image_created(
    client: Exchange, image: ImageName, tag: str, cache: CreatedCache = CREATED
) -> tuple[str, datetime | None]:
    """The digest `image:tag` resolves to and when that image was built."""
    digest, config = await image_config(client, image, tag, cache)
    return digest, config.created


async def image_config(
    client: Exchange, image: ImageName, tag: str, cache: CreatedCache = CREATED
) -> tuple[str, ImageConfig]:
    """The digest `image:tag` resolves to and what its config says."""
    digest = await resolve_digest(client, image, tag)
    return digest, await image_config_at(client, image, digest, cache)


async def image_config_at(
    client: Exchange, image: ImageName, digest: str, cache: CreatedCache = CREATED
) -> ImageConfig:
    """What the config of the image at `digest` says (no HEAD: the digest is known)."""
    known = cache.config(digest)
    if known is not None:
        return known
    manifest = await fetch_manifest(client, image, digest)
    doc = _document(manifest.body)
    if manifest.media_type in INDEX_MEDIA_TYPES or "manifests" in doc:
        child = _child(doc)
        doc = _document((await fetch_manifest(client, image, child)).body) if child else {}
    config = doc.get("config")
    config_digest = config.get("digest") if isinstance(config, dict) else None
    found = ImageConfig()
    if isinstance(config_digest, str) and is_valid_digest(config_digest):
        settings = _document(await fetch_blob(client, image, config_digest))
        found = ImageConfig(parse_created(settings.get("created")), source_labels(settings))
    cache.fetches += 1
    cache.put(digest, found)
    return found
