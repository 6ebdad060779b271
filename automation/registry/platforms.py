"""One platform's manifest: `--platform os/arch[/variant]` picks a child of an image index.

In: a `RegistryClient`, an image, a tag (or digest) and a `Platform`. Out: the digest of the
manifest that platform would pull. An index (OCI index or Docker manifest list) is searched
for a descriptor whose `platform` matches; a single-platform manifest is accepted only when
its image config names the same os/architecture(/variant), else `PlatformMismatchError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from automation.errors import RegistryPermanentError, UsageError
from automation.reference import ImageName
from automation.registry.digests import fetch_manifest
from automation.registry.exchange import Exchange
from automation.registry.faults import error_for_status
from automation.registry.tags import is_valid_digest

INDEX_MEDIA_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
CONFIG_BODY_CAP = 4 << 20
# Variants a platform has when none is written (containerd's normalisation).
_DEFAULT_VARIANTS = {"arm64": "v8", "arm": "v7"}


class PlatformMismatchError(RegistryPermanentError):
    """The image has no manifest for the requested platform."""


@dataclass(frozen=True, slots=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    def __str__(self) -> str:
        text = f"{self.os}/{self.architecture}"
        return f"{text}/{self.variant}" if self.variant else text

    def matches(self, os: str, architecture: str, variant: str = "") -> bool:
        """Same os and architecture; a variant is compared only when this platform names one
        (an unnamed variant on either side counts as the architecture's default)."""
        if (os, architecture) != (self.os, self.architecture):
            return False
        if not self.variant:
            return True
        default = _DEFAULT_VARIANTS.get(architecture, "")
        return self.variant == (variant or default)


def parse_platform(text: str) -> Platform:
    """`linux/arm64`, `linux/arm/v7`. Raises UsageError naming the bad text."""
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise UsageError(f"--platform {text!r}: expected OS/ARCH[/VARIANT], e.g. linux/arm64")
    return Platform(*parts)


async def resolve_platform_digest(
    client: Exchange, image: ImageName, reference: str, platform: Platform
) -> str:
    """The digest of `platform`'s manifest for `image:reference` (a tag or digest)."""
    manifest = await fetch_manifest(client, image, reference)
    document = _json(manifest.body, client, image, reference)
    if manifest.media_type in INDEX_MEDIA_TYPES or "manifests" in document:
        return _select_child(document, client, image, reference, platform)
    config = document.get("config")
    digest = config.get("digest") if isinstance(config, dict) else None
    if not isinstance(digest, str) or not is_valid_digest(digest):
        raise _mismatch(client, image, f"{reference}: manifest has no config to check {platform}")
    settings = _json(await fetch_blob(client, image, digest), client, image, reference)
    found = Platform(
        str(settings.get("os", "")),
        str(settings.get("architecture", "")),
        str(settings.get("variant", "")),
    )
    if not platform.matches(found.os, found.architecture, found.variant):
        message = f"{reference} is a single-platform image for {found}, not {platform}"
        raise _mismatch(client, image, message)
    return manifest.digest


def _select_child(
    index: dict[str, Any],
    client: Exchange,
    image: ImageName,
    reference: str,
    platform: Platform,
) -> str:
    offered: list[str] = []
    for descriptor in index.get("manifests") or []:
        if not isinstance(descriptor, dict) or not isinstance(descriptor.get("platform"), dict):
            continue
        entry = descriptor["platform"]
        found = Platform(
            str(entry.get("os", "")),
            str(entry.get("architecture", "")),
            str(entry.get("variant", "")),
        )
        offered.append(str(found))
        digest = descriptor.get("digest")
        usable = isinstance(digest, str) and is_valid_digest(digest)
        if usable and platform.matches(found.os, found.architecture, found.variant):
            return str(digest)
    listed = ", ".join(offered) or "none"
    raise _mismatch(client, image, f"{reference} has no manifest for {platform} (has: {listed})")


async def fetch_blob(client: Exchange, image: ImageName, digest: str) -> bytes:
    await client.ready()
    url = f"{client.base_url}/v2/{image.repository}/blobs/{digest}"
    what = f"fetch config {digest}"
    reply = await client.exchange(
        "GET", url, what=what, repository=image.repository, cap=CONFIG_BODY_CAP
    )
    if reply.status != 200:
        raise error_for_status(
            reply.status, reply.body, what=what, registry=client.host, repository=image.repository
        )
    return reply.body


def _json(body: bytes, client: Exchange, image: ImageName, what: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nesting past the stack
        document = None
    if not isinstance(document, dict):
        raise RegistryPermanentError(
            f"{what}: registry sent a document that is not a JSON object",
            registry=client.host,
            repository=image.repository,
        )
    return document


def _mismatch(client: Exchange, image: ImageName, message: str) -> PlatformMismatchError:
    return PlatformMismatchError(message, registry=client.host, repository=image.repository)
