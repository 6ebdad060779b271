"""When an image was built: its config's `created`, cached by manifest digest.

In: a client, an image and a tag. Out: the digest the tag points at now and the image
config's `created` instant (None when the config has none or it is unreadable). A tag costs
one HEAD; the manifest and config are fetched once per digest (digests are immutable, so
the cache never goes stale). For an index, the `linux/amd64` child's config is read, else the
first child's. Hostile input: documents are size-capped, `created` is matched by a bounded
pattern, never evaluated further.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from automation.reference import ImageName
from automation.registry.digests import fetch_manifest, resolve_digest
from automation.registry.exchange import Exchange
from automation.registry.platforms import INDEX_MEDIA_TYPES, fetch_blob
from automation.registry.tags import is_valid_digest

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


class CreatedCache:
    """digest -> created, least recently used entries dropped beyond `size`."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.fetches = 0  # configs read from a registry
        self._entries: OrderedDict[str, datetime | None] = OrderedDict()

    def get(self, digest: str) -> tuple[bool, datetime | None]:
        if digest not in self._entries:
            return False, None
        self._entries.move_to_end(digest)
        return True, self._entries[digest]

    def put(self, digest: str, created: datetime | None) -> None:
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
    digest = await resolve_digest(client, image, tag)
    known, created = cache.get(digest)
    if known:
        return digest, created
    manifest = await fetch_manifest(client, image, digest)
    doc = _document(manifest.body)
    if manifest.media_type in INDEX_MEDIA_TYPES or "manifests" in doc:
        child = _child(doc)
        doc = _document((await fetch_manifest(client, image, child)).body) if child else {}
    config = doc.get("config")
    config_digest = config.get("digest") if isinstance(config, dict) else None
    if isinstance(config_digest, str) and is_valid_digest(config_digest):
        settings = _document(await fetch_blob(client, image, config_digest))
        created = parse_created(settings.get("created"))
    cache.fetches += 1
    cache.put(digest, created)
    return digest, created
