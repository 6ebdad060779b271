"""OCI 1.1 referrers: the manifests whose `subject` is a given digest, of one artifact type.

In: a client, an image, a subject digest and an artifact type. Out: up to `MAX_REFERRERS`
manifest digests. The referrers API (`GET /v2/<name>/referrers/<digest>?artifactType=...`,
OCI distribution-spec v1.1 "Listing Referrers") is asked first; a registry without it answers
404, and then the spec's fallback applies: the index tagged `<alg>-<hex>` (the "referrers tag
schema") that clients maintain. The artifact type is filtered here too, since a registry may
ignore the filter (it says so in `OCI-Filters-Applied`, which we need not trust).
"""

from __future__ import annotations

import json
from typing import Any

from automation.reference import ImageName
from automation.registry.digests import MANIFEST_BODY_CAP, fetch_manifest
from automation.registry.exchange import Exchange
from automation.registry.faults import ManifestUnknownError, error_for_status
from automation.registry.tags import is_valid_digest

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MAX_REFERRERS = 16


def fallback_tag(digest: str) -> str:
    """`sha256:<hex>` -> `sha256-<hex>` (the referrers tag schema)."""
    return digest.replace(":", "-", 1)


def _matching(body: bytes, artifact_type: str) -> list[str]:
    try:
        index: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # nesting past the stack
        return []
    entries = index.get("manifests") if isinstance(index, dict) else None
    found: list[str] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("artifactType") != artifact_type:
            continue
        digest = entry.get("digest")
        if isinstance(digest, str) and is_valid_digest(digest) and digest not in found:
            found.append(digest)
        if len(found) >= MAX_REFERRERS:
            break
    return found


async def referrers(
    client: Exchange, image: ImageName, digest: str, artifact_type: str
) -> list[str]:
    """Digests of the manifests of `artifact_type` that refer to `image@digest`."""
    await client.ready()
    url = f"{client.base_url}/v2/{image.repository}/referrers/{digest}"
    what = f"list referrers of {digest[:19]}"
    reply = await client.exchange(
        "GET",
        url,
        what=what,
        repository=image.repository,
        headers={"Accept": OCI_INDEX},
        cap=MANIFEST_BODY_CAP,
    )
    if reply.status == 200:
        return _matching(reply.body, artifact_type)
    if reply.status != 404:
        raise error_for_status(
            reply.status, reply.body, what=what, registry=client.host, repository=image.repository
        )
    try:
        index = await fetch_manifest(client, image, fallback_tag(digest))
    except ManifestUnknownError:
        return []
    return _matching(index.body, artifact_type)
