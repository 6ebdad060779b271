"""Copy one image (a manifest, or an index with every platform) from a registry to a mirror.

In: a source and a target `Endpoint` (transfer client + repository), the source digest and the
tag to write. Out: a `CopyReport` once the target's tag answers with exactly that digest, or a
`RegistryError` (`DigestMismatchError` when the mirror serves other content). Children come
before the index and blobs before their manifest, because a registry refuses a manifest whose
references it does not hold. Blobs already on the target are skipped after one HEAD, blobs on
the same registry are mounted from the source repository when it allows, the rest are streamed
in bounded chunks (at most `chunk_size` bytes per upload in memory, whatever the layer size).
Manifests go up byte for byte with their media type, so digests stay identical.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from automation.errors import RegistryPermanentError
from automation.reference import ImageName
from automation.registry.blobs import (
    DigestMismatchError,
    UploadSession,
    blob_present,
    start_upload,
)
from automation.registry.digests import ACCEPT_MANIFESTS, MANIFEST_MEDIA_TYPES
from automation.registry.faults import error_for_status
from automation.registry.platforms import INDEX_MEDIA_TYPES
from automation.registry.tags import is_valid_digest
from automation.registry.transfer import TransferClient

__all__ = ["CopyReport", "DigestMismatchError", "Endpoint", "MirrorCopyError", "copy_image"]

UPLOAD_CHUNK = 16 << 20
BLOB_CONCURRENCY = 4
MAX_INDEX_DEPTH = 4  # indexes of indexes: real images nest one deep (OCI image-index spec)
# Layers that must not be pushed anywhere (Windows base layers): their descriptors carry `urls`.
_FOREIGN_MARKERS = ("foreign", "nondistributable")


class MirrorCopyError(RegistryPermanentError):
    """The image cannot be copied as it is (an unsupported manifest kind, a broken document)."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One side of a copy: the client of its registry and the repository on it."""

    client: TransferClient
    image: ImageName

    @property
    def repository(self) -> str:
        return self.image.repository


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What a copy did. `already_present`: the tag was verified without copying anything."""

    digest: str
    tag: str
    already_present: bool = False
    manifests_copied: int = 0
    manifests_present: int = 0
    blobs_copied: int = 0
    blobs_mounted: int = 0
    blobs_present: int = 0
    bytes_copied: int = 0


@dataclass
class _Tally:
    """Counters and shared work of one copy (blobs shared by several platforms go once)."""

    chunk_size: int
    slots: asyncio.Semaphore
    manifests_copied: int = 0
    manifests_present: int = 0
    blobs_copied: int = 0
    blobs_mounted: int = 0
    blobs_present: int = 0
    bytes_copied: int = 0
    blobs: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    def report(self, digest: str, tag: str) -> CopyReport:
        return CopyReport(
            digest,
            tag,
            False,
            self.manifests_copied,
            self.manifests_present,
            self.blobs_copied,
            self.blobs_mounted,
            self.blobs_present,
            self.bytes_copied,
        )


async def copy_image(
    source: Endpoint,
    target: Endpoint,
    digest: str,
    tag: str,
    *,
    chunk_size: int = UPLOAD_CHUNK,
    blob_concurrency: int = BLOB_CONCURRENCY,
) -> CopyReport:
    """Make `target:tag` serve the manifest `source@digest`, verified by the target's HEAD."""
    if not is_valid_digest(digest):
        raise ValueError(f"copy_image needs a digest, got {digest[:80]!r}")
    if await manifest_digest(target, tag) == digest:
        return CopyReport(digest, tag, already_present=True)
    tally = _Tally(chunk_size, asyncio.Semaphore(blob_concurrency))
    await _copy_manifest(source, target, digest, tag, tally)
    await verify_copy(target, tag, digest)
    return tally.report(digest, tag)


async def manifest_digest(endpoint: Endpoint, reference: str) -> str:
    """`Docker-Content-Digest` of a manifest HEAD with every manifest type accepted; "" if none."""
    client = endpoint.client
    await client.ready()
    what = f"check manifest {reference}"
    url = f"{client.base_url}/v2/{endpoint.repository}/manifests/{reference}"
    reply = await client.exchange(
        "HEAD", url, what=what, repository=endpoint.repository, headers=ACCEPT_MANIFESTS
    )
    if reply.status == 404:
        return ""
    if reply.status != 200:
        names = {"registry": client.host, "repository": endpoint.repository}
        raise error_for_status(reply.status, reply.body, what=what, **names)
    return str(reply.headers.get("docker-content-digest", ""))


async def verify_copy(target: Endpoint, tag: str, digest: str) -> None:
    """Raise `DigestMismatchError` unless `target:tag` is exactly `digest`."""
    served = await manifest_digest(target, tag)
    if served != digest:
        found = served or "nothing"
        raise DigestMismatchError(
            f"mirror verification failed: {tag} is {found}, expected {digest}",
            registry=target.client.host,
            repository=target.repository,
        )


async def _copy_manifest(
    source: Endpoint, target: Endpoint, digest: str, reference: str, tally: _Tally, depth: int = 0
) -> None:
    """Copy what `digest` references, then the manifest itself under `reference`."""
    if depth > MAX_INDEX_DEPTH:  # a registry can chain indexes without end
        raise MirrorCopyError(
            f"{digest}: image indexes nested more than {MAX_INDEX_DEPTH} deep",
            registry=source.client.host,
            repository=source.repository,
        )
    if reference == digest and await manifest_digest(target, digest) == digest:
        tally.manifests_present += 1
        return
    manifest = await source.client.fetch_manifest(source.image, digest)
    document = _document(manifest.body, source, digest)
    media_type = manifest.media_type
    if media_type not in MANIFEST_MEDIA_TYPES:
        media_type = str(document.get("mediaType") or media_type)
    if media_type in INDEX_MEDIA_TYPES:
        children = [_digest_of(d, source, digest) for d in _descriptors(document, "manifests")]
        await asyncio.gather(
            *(_copy_manifest(source, target, c, c, tally, depth + 1) for c in children)
        )
    elif media_type in MANIFEST_MEDIA_TYPES:
        blobs = [document.get("config"), *_descriptors(document, "layers")]
        wanted = [_digest_of(d, source, digest) for d in blobs if not _is_foreign(d)]
        await asyncio.gather(*(_blob(source, target, b, tally) for b in wanted))
    else:
        raise MirrorCopyError(
            f"{digest}: cannot mirror media type {media_type or 'unknown'!r}",
            registry=source.client.host,
            repository=source.repository,
        )
    await _put_manifest(target, reference, manifest.body, media_type, digest)
    tally.manifests_copied += 1


async def _put_manifest(
    target: Endpoint, reference: str, body: bytes, media_type: str, digest: str
) -> None:
    client = target.client
    what = f"push manifest {reference}"
    url = f"{client.base_url}/v2/{target.repository}/manifests/{reference}"
    reply = await client.exchange(
        "PUT",
        url,
        what=what,
        repository=target.repository,
        content=body,
        headers={"Content-Type": media_type},
    )
    if reply.status not in (200, 201):
        raise error_for_status(
            reply.status, reply.body, registry=client.host, repository=target.repository, what=what
        )
    stored = reply.headers.get("docker-content-digest", digest)
    if stored != digest:
        raise DigestMismatchError(
            f"{what}: mirror stored {stored}, source is {digest}",
            registry=client.host,
            repository=target.repository,
        )


def _blob(source: Endpoint, target: Endpoint, digest: str, tally: _Tally) -> asyncio.Task[None]:
    task = tally.blobs.get(digest)
    if task is None:
        task = asyncio.ensure_future(_copy_blob(source, target, digest, tally))
        tally.blobs[digest] = task
    return task


async def _copy_blob(source: Endpoint, target: Endpoint, digest: str, tally: _Tally) -> None:
    async with tally.slots:
        if await blob_present(target.client, target.repository, digest):
            tally.blobs_present += 1
            return
        mount_from = source.repository if source.client.host == target.client.host else None
        session = await start_upload(target.client, target.repository, digest, mount_from)
        if session is None:  # 201: mounted from the source repository
            tally.blobs_mounted += 1
            return
        tally.bytes_copied += await _stream(source, session, digest, tally.chunk_size)
        tally.blobs_copied += 1


async def _stream(source: Endpoint, session: UploadSession, digest: str, chunk_size: int) -> int:
    what = f"fetch blob {digest}"
    async with source.client.stream_blob(source.repository, digest, what=what) as stream:
        pending: list[bytes] = []
        held = 0
        async for chunk in stream.chunks():
            pending.append(chunk)
            held += len(chunk)
            while held >= chunk_size:
                data = b"".join(pending)
                await session.append(data[:chunk_size])
                pending, held = [data[chunk_size:]], held - chunk_size
        return await session.finish(b"".join(pending))


def _document(body: bytes, source: Endpoint, digest: str) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nesting past the stack
        document = None
    if not isinstance(document, dict):
        raise MirrorCopyError(
            f"{digest}: manifest is not a JSON object",
            registry=source.client.host,
            repository=source.repository,
        )
    return document


def _descriptors(document: dict[str, Any], key: str) -> list[Any]:
    found = document.get(key)
    return found if isinstance(found, list) else []


def _is_foreign(descriptor: Any) -> bool:
    if not isinstance(descriptor, dict) or not descriptor.get("urls"):
        return False
    media_type = str(descriptor.get("mediaType", ""))
    return any(marker in media_type for marker in _FOREIGN_MARKERS)


def _digest_of(descriptor: Any, source: Endpoint, parent: str) -> str:
    digest = descriptor.get("digest") if isinstance(descriptor, dict) else None
    if not isinstance(digest, str) or not is_valid_digest(digest):
        raise MirrorCopyError(
            f"{parent}: a descriptor has no valid digest",
            registry=source.client.host,
            repository=source.repository,
        )
    return digest
