"""Manifests and digests: which content a tag points at, as the registry itself reports it.

`resolve_digest` sends `HEAD /v2/<name>/manifests/<tag>` accepting all four manifest media
types (without them registries answer 404 or convert the manifest and report another
digest) and reads `Docker-Content-Digest`. A registry that omits the header (or sends a
malformed one) gets a GET instead, and the digest is computed from the body.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from automation.errors import RegistryPermanentError
from automation.reference import ImageName
from automation.registry.exchange import Exchange
from automation.registry.faults import RegistryDataError, error_for_status
from automation.registry.tags import is_valid_digest, is_valid_tag

log = logging.getLogger(__name__)

MANIFEST_MEDIA_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
ACCEPT_MANIFESTS = {"Accept": ", ".join(MANIFEST_MEDIA_TYPES)}
MANIFEST_BODY_CAP = 4 << 20  # distribution refuses to store manifests above 4 MiB
_HEAD_FALLBACK_STATUSES = frozenset({200, 400, 405, 501})


@dataclass(frozen=True, slots=True)
class Manifest:
    media_type: str
    digest: str
    body: bytes = field(repr=False)


class InvalidReferenceError(RegistryPermanentError):
    """A tag or digest we were asked to resolve does not match the OCI grammar."""


def _manifest_url(client: Exchange, image: ImageName, reference: str) -> str:
    if not (is_valid_tag(reference) or is_valid_digest(reference)):
        raise InvalidReferenceError(
            f"{reference[:140]!r} is neither a valid tag nor a digest",
            registry=client.host,
            repository=image.repository,
        )
    return f"{client.base_url}/v2/{image.repository}/manifests/{reference}"


async def resolve_digest(client: Exchange, image: ImageName, tag: str) -> str:
    """The digest the registry reports for `image:tag` (a manifest's or an index's)."""
    await client.ready()
    url = _manifest_url(client, image, tag)
    reply = await client.exchange(
        "HEAD", url, what=f"resolve {tag}", repository=image.repository, headers=ACCEPT_MANIFESTS
    )
    if reply.status not in _HEAD_FALLBACK_STATUSES:
        raise error_for_status(
            reply.status,
            reply.body,
            registry=client.host,
            repository=image.repository,
            what=f"resolve {tag}",
        )
    header = str(reply.headers.get("docker-content-digest", ""))
    if reply.status == 200 and is_valid_digest(header):
        return header
    if reply.status == 200 and header:
        log.warning("%s:%s: ignoring malformed Docker-Content-Digest header", image, tag)
    return (await fetch_manifest(client, image, tag)).digest


async def fetch_manifest(client: Exchange, image: ImageName, reference: str) -> Manifest:
    """GET a manifest by tag or digest; its digest is computed from the exact bytes."""
    await client.ready()
    url = _manifest_url(client, image, reference)
    what = f"fetch manifest {reference}"
    reply = await client.exchange(
        "GET",
        url,
        what=what,
        repository=image.repository,
        headers=ACCEPT_MANIFESTS,
        cap=MANIFEST_BODY_CAP,
    )
    if reply.status != 200:
        raise error_for_status(
            reply.status, reply.body, what=what, registry=client.host, repository=image.repository
        )
    algorithm = reference.partition(":")[0] if is_valid_digest(reference) else "sha256"
    digest = f"{algorithm}:{hashlib.new(algorithm, reply.body).hexdigest()}"
    header = reply.headers.get("docker-content-digest", "")
    expected = reference if is_valid_digest(reference) else header
    if is_valid_digest(expected) and expected.startswith(algorithm + ":") and expected != digest:
        raise RegistryDataError(
            f"{what}: content does not match its digest",
            registry=client.host,
            repository=image.repository,
        )
    media_type = reply.headers.get("content-type", "").split(";")[0].strip()
    return Manifest(media_type=media_type, digest=digest, body=reply.body)
