"""Blob writes on a registry: existence checks, cross-repository mounts, chunked uploads.

In: a `TransferClient`, a repository and a blob digest. Out: whether the blob is there,
an `UploadSession` to send it in chunks (`PATCH` with `Content-Range`, then `PUT ?digest=`),
or None when a mount made the upload unnecessary. The session hashes what it sends and
refuses to commit bytes whose digest differs from the one promised (`DigestMismatchError`).
"""

from __future__ import annotations

import contextlib
import hashlib

import httpx

from automation.errors import RegistryError, RegistryPermanentError
from automation.registry.faults import error_for_status
from automation.registry.transfer import TransferClient

_OCTETS = {"Content-Type": "application/octet-stream"}


class DigestMismatchError(RegistryPermanentError):
    """Content differs from its digest (the source sent other bytes, or the mirror holds other
    content): the mirror ref must not be used."""


async def blob_present(client: TransferClient, repository: str, digest: str) -> bool:
    """HEAD the blob: True on 200, False on 404, an error otherwise."""
    await client.ready()
    what = f"check blob {digest}"
    url = f"{client.base_url}/v2/{repository}/blobs/{digest}"
    reply = await client.exchange("HEAD", url, what=what, repository=repository)
    if reply.status in (200, 404):
        return reply.status == 200
    raise error_for_status(
        reply.status, reply.body, registry=client.host, repository=repository, what=what
    )


async def start_upload(
    client: TransferClient, repository: str, digest: str, mount_from: str | None = None
) -> UploadSession | None:
    """Open an upload session; with `mount_from`, try a mount first (None: mounted, 201)."""
    await client.ready()
    url = httpx.URL(f"{client.base_url}/v2/{repository}/blobs/uploads/")
    what = f"start upload of {digest}"
    if mount_from is not None and mount_from != repository:
        url = url.copy_merge_params({"mount": digest, "from": mount_from})
        what = f"mount {digest} from {mount_from}"
    reply = await client.exchange("POST", url, what=what, repository=repository)
    if reply.status == 201 and mount_from is not None:
        return None
    location = reply.headers.get("location", "")
    if reply.status != 202 or not location:
        raise error_for_status(
            reply.status, reply.body, registry=client.host, repository=repository, what=what
        )
    return UploadSession(client, repository, digest, reply.url.join(location))


class UploadSession:
    """One blob upload in progress. `append` chunks in order, then `finish` with the rest."""

    def __init__(
        self, client: TransferClient, repository: str, digest: str, location: httpx.URL
    ) -> None:
        self.client = client
        self.repository = repository
        self.digest = digest
        self.location = location
        self.offset = 0
        self._hash = hashlib.new(digest.partition(":")[0])

    async def append(self, chunk: bytes) -> None:
        """PATCH one chunk; the registry answers 202 with where to send the next one."""
        end = self.offset + len(chunk) - 1
        headers = _OCTETS | {"Content-Range": f"{self.offset}-{end}"}
        what = f"upload chunk of {self.digest}"
        reply = await self.client.exchange(
            "PATCH",
            self.location,
            what=what,
            repository=self.repository,
            content=chunk,
            headers=headers,
        )
        if reply.status != 202:
            raise self._error(reply.status, reply.body, what)
        self.location = reply.url.join(reply.headers.get("location", str(self.location)))
        self.offset += len(chunk)
        self._hash.update(chunk)

    async def finish(self, last: bytes) -> int:
        """Check the digest of everything sent, then PUT `?digest=` with the last bytes."""
        self._hash.update(last)
        sent = f"{self._hash.name}:{self._hash.hexdigest()}"
        if sent != self.digest:
            await self.abort()
            raise DigestMismatchError(
                f"blob {self.digest}: source sent content with digest {sent}",
                registry=self.client.host,
                repository=self.repository,
            )
        what = f"commit blob {self.digest}"
        url = self.location.copy_merge_params({"digest": self.digest})
        reply = await self.client.exchange(
            "PUT", url, what=what, repository=self.repository, content=last, headers=_OCTETS
        )
        if reply.status not in (201, 204):
            raise self._error(reply.status, reply.body, what)
        return self.offset + len(last)

    async def abort(self) -> None:
        """Best effort: tell the registry to drop the session (it expires on its own too)."""
        with contextlib.suppress(RegistryError):
            await self.client.exchange(
                "DELETE", self.location, what="cancel upload", repository=self.repository
            )

    def _error(self, status: int, body: bytes, what: str) -> RegistryError:
        return error_for_status(
            status, body, registry=self.client.host, repository=self.repository, what=what
        )
