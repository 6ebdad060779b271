"""Push real images into a rig registry over the distribution HTTP API, and read tags back.

In: a ``RegistryServer``, a repository, tags and optional content. Out: the digests the registry
now serves (``PushedImage``, ``PushedIndex``, or a tag -> digest map for bulk seeding). Every
digest is the sha256 of the exact manifest bytes sent, and is checked against the registry's
``Docker-Content-Digest`` answer. Blobs go up as a two-request monolithic upload (POST, then PUT
with ``?digest=``; distribution 2.8 ignores a body on the POST).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import secrets
import tarfile
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from tests.rig.registry import RegistryServer

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
ALL_MANIFEST_TYPES = (OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST)
MANIFEST_ACCEPT = ", ".join(ALL_MANIFEST_TYPES)
_BLOB_TYPES = {
    OCI_MANIFEST: (OCI_CONFIG, OCI_LAYER),
    DOCKER_MANIFEST: (DOCKER_CONFIG, DOCKER_LAYER),
}

Platform = tuple[str, ...]  # (os, architecture) or (os, architecture, variant)
DEFAULT_PLATFORMS: tuple[Platform, ...] = (("linux", "amd64"), ("linux", "arm64"))


class PushError(RuntimeError):
    """The registry refused a push step; the message names the step, status and body."""


@dataclass(frozen=True)
class PushedImage:
    repo: str
    tag: str | None
    digest: str
    manifest_bytes: bytes
    media_type: str


@dataclass(frozen=True)
class PushedIndex:
    repo: str
    tag: str
    digest: str
    manifest_bytes: bytes
    media_type: str
    children: dict[Platform, str]  # platform -> child manifest digest


def unique_repo(prefix: str = "rig") -> str:
    """A repository name no other test uses, so tests can share one registry process."""
    return f"{prefix}/{uuid.uuid4().hex[:12]}"


def list_tags(server: RegistryServer, repo: str) -> list[str]:
    """The registry's tag list for ``repo`` (2.8 answers ``"tags": null`` when none are left)."""
    with server.client() as http:
        response = _check(http.get(f"/v2/{repo}/tags/list"), f"list tags of {repo}", 200)
    return list(response.json()["tags"] or [])


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _descriptor(media_type: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": sha256_digest(data), "size": len(data)} | extra


def make_layer(content: bytes) -> bytes:
    """A deterministic gzip tarball holding one file, ``content``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("content")
        info.size, info.mtime, info.mode = len(content), 0, 0o644
        tar.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0)


def make_config(
    layer: bytes,
    platform: Platform,
    created: str | None = None,
    labels: Mapping[str, Any] | None = None,
) -> bytes:
    """An image config whose rootfs names ``layer``'s uncompressed digest (and ``created``,
    and ``labels`` as ``config.Labels``, as ``docker build --label`` writes them)."""
    config: dict[str, Any] = {
        "architecture": platform[1],
        "os": platform[0],
        "config": {"Labels": dict(labels)} if labels is not None else {},
        "rootfs": {"type": "layers", "diff_ids": [sha256_digest(gzip.decompress(layer))]},
    }
    if len(platform) > 2:
        config["variant"] = platform[2]
    if created is not None:
        config["created"] = created
    return json.dumps(config, sort_keys=True).encode()


def make_manifest(
    config: bytes, layer: bytes, media_type: str, annotations: dict[str, str] | None = None
) -> bytes:
    config_type, layer_type = _BLOB_TYPES[media_type]
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": _descriptor(config_type, config),
        "layers": [_descriptor(layer_type, layer)],
    }
    if annotations:
        manifest["annotations"] = annotations
    return json.dumps(manifest, indent=3).encode()


def _check(response: httpx.Response, step: str, *expected: int) -> httpx.Response:
    if response.status_code not in expected:
        raise PushError(f"{step}: HTTP {response.status_code}: {response.text[:300]}")
    return response


@contextmanager
def _client_for(server: RegistryServer, client: httpx.Client | None) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    with server.client() as own:
        yield own


def upload_blob(
    client: httpx.Client, repo: str, data: bytes, *, skip_existing: bool = False
) -> str:
    """Upload ``data`` as a blob of ``repo`` and return its digest."""
    digest = sha256_digest(data)
    if skip_existing and client.head(f"/v2/{repo}/blobs/{digest}").status_code == 200:
        return digest
    started = _check(client.post(f"/v2/{repo}/blobs/uploads/"), f"start upload to {repo}", 202)
    # The Location carries a _state query that must survive next to ?digest=.
    location = httpx.URL(started.headers["Location"]).copy_merge_params({"digest": digest})
    headers = {"Content-Type": "application/octet-stream"}
    put = client.put(location, content=data, headers=headers)
    _check(put, f"upload blob {digest} to {repo}", 201)
    return digest


def put_manifest(
    client: httpx.Client, repo: str, reference: str, body: bytes, media_type: str
) -> str:
    """PUT a manifest under a tag or digest; return its digest (checked against the registry's)."""
    headers = {"Content-Type": media_type}
    response = client.put(f"/v2/{repo}/manifests/{reference}", content=body, headers=headers)
    _check(response, f"put manifest {repo}:{reference}", 201)
    digest = sha256_digest(body)
    served = response.headers.get("Docker-Content-Digest")
    if served != digest:
        raise PushError(f"registry says {repo}:{reference} is {served}, we sent {digest}")
    return digest


def push_image(
    server: RegistryServer,
    repo: str,
    tag: str | None,
    *,
    content: bytes | None = None,
    media_type: str = OCI_MANIFEST,
    platform: Platform = ("linux", "amd64"),
    client: httpx.Client | None = None,
    created: str | None = None,
    labels: Mapping[str, Any] | None = None,
) -> PushedImage:
    """Push a one-layer image; random content unless given, so each push has a new digest.

    With ``tag=None`` the manifest is pushed by digest only (untagged). ``created`` goes into
    the image config as is (RFC 3339, or anything a test wants a client to cope with), and
    so do ``labels``.
    """
    layer = make_layer(content if content is not None else secrets.token_bytes(32))
    config = make_config(layer, platform, created, labels)
    manifest = make_manifest(config, layer, media_type)
    known = content is not None  # random content cannot be in the registry yet
    with _client_for(server, client) as http:
        upload_blob(http, repo, config, skip_existing=known)
        upload_blob(http, repo, layer, skip_existing=known)
        digest = put_manifest(http, repo, tag or sha256_digest(manifest), manifest, media_type)
    return PushedImage(repo, tag, digest, manifest, media_type)


def _platform_entry(platform: Platform) -> dict[str, str]:
    entry = {"os": platform[0], "architecture": platform[1]}
    if len(platform) > 2:
        entry["variant"] = platform[2]
    return entry


def push_index(
    server: RegistryServer,
    repo: str,
    tag: str,
    platforms: Sequence[Platform] = DEFAULT_PLATFORMS,
    *,
    docker_list: bool = False,
    client: httpx.Client | None = None,
    created: Mapping[Platform, str] | None = None,
    labels: Mapping[Platform, Mapping[str, Any]] | None = None,
) -> PushedIndex:
    """Push one image per platform by digest, then an OCI index (or Docker list) under ``tag``."""
    child_type, index_type = (
        (DOCKER_MANIFEST, DOCKER_LIST) if docker_list else (OCI_MANIFEST, OCI_INDEX)
    )
    with _client_for(server, client) as http:
        children = {
            p: push_image(
                server,
                repo,
                None,
                media_type=child_type,
                platform=p,
                client=http,
                created=(created or {}).get(p),
                labels=(labels or {}).get(p),
            )
            for p in platforms
        }
        index = {
            "schemaVersion": 2,
            "mediaType": index_type,
            "manifests": [
                _descriptor(child_type, image.manifest_bytes, platform=_platform_entry(p))
                for p, image in children.items()
            ],
        }
        body = json.dumps(index, indent=3).encode()
        digest = put_manifest(http, repo, tag, body, index_type)
    child_digests = {p: image.digest for p, image in children.items()}
    return PushedIndex(repo, tag, digest, body, index_type, child_digests)


def push_tags(
    server: RegistryServer,
    repo: str,
    tags: Iterable[str],
    *,
    workers: int = 4,
    client: httpx.Client | None = None,
) -> dict[str, str]:
    """Bulk-seed ``repo``: one shared config and layer, one distinct OCI manifest per tag.

    Returns tag -> digest. Manifests differ only by an annotation naming the tag, so every tag
    has its own digest while the blobs go up once per repository.
    """
    layer = make_layer(b"rig shared layer\n")
    config = make_config(layer, ("linux", "amd64"))
    with _client_for(server, client) as http:
        upload_blob(http, repo, config, skip_existing=True)
        upload_blob(http, repo, layer, skip_existing=True)

        def one(tag: str) -> tuple[str, str]:
            body = make_manifest(config, layer, OCI_MANIFEST, {"org.example.rig.tag": tag})
            return tag, put_manifest(http, repo, tag, body, OCI_MANIFEST)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return dict(pool.map(one, tags))


def retag(server: RegistryServer, image: PushedImage, tag: str) -> None:
    """Point ``tag`` at an already pushed manifest (same bytes, same digest)."""
    with server.client() as http:
        put_manifest(http, image.repo, tag, image.manifest_bytes, image.media_type)


def delete_manifest(server: RegistryServer, repo: str, digest: str) -> None:
    """Delete a manifest by digest; every tag pointing at it disappears with it.

    Distribution 2.8 cannot delete a single tag; to move a tag, push new content to it instead.
    """
    with server.client() as http:
        _check(http.delete(f"/v2/{repo}/manifests/{digest}"), f"delete {repo}@{digest}", 202)
