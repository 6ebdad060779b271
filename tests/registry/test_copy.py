"""Copying images between two real registries: single-arch, OCI index, Docker list, mounts,
chunked uploads, credentials per host, and verification faults injected on the wire."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from collections.abc import Callable

import httpx
import pytest

from automation.errors import RegistryError
from automation.reference import parse_repository
from automation.registry import Credentials, CredentialSources, ScanOptions
from automation.registry.auth import AuthFailedError, scope_for_request
from automation.registry.copy import (
    CopyReport,
    DigestMismatchError,
    Endpoint,
    copy_image,
    manifest_digest,
)
from automation.registry.limits import RetryPolicy
from automation.registry.transfer import TransferClient
from tests.rig import images
from tests.rig.registry import RegistryFactory, RegistryServer

NO_RETRY = RetryPolicy(attempts=1)


def unique_repo(prefix: str = "copy") -> str:
    return f"{prefix}/{uuid.uuid4().hex[:12]}"


def dockerconfig(*servers: RegistryServer) -> bytes:
    auths = {
        s.host: {"auth": base64.b64encode(f"{s.username}:{s.password}".encode()).decode()}
        for s in servers
    }
    return json.dumps({"auths": auths}).encode()


def options_for(
    server: RegistryServer, secret: bytes | None = None, **extra: object
) -> ScanOptions:
    explicit = None
    if secret is None and server.username:
        explicit = Credentials(server.username, server.password or "")
    return ScanOptions(
        insecure=server.scheme == "http",
        ca_pem=server.ca_file.read_bytes() if server.ca_file else None,
        credentials=CredentialSources(explicit=explicit, pull_secret=secret),
        rate=None,
        retry=NO_RETRY,
        **extra,  # type: ignore[arg-type]
    )


def endpoint(
    server: RegistryServer,
    repo: str,
    options: ScanOptions | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Endpoint:
    client = TransferClient(server.host, options or options_for(server), transport=transport)
    return Endpoint(client, parse_repository(f"{server.host}/{repo}"))


def copy(source: Endpoint, target: Endpoint, digest: str, tag: str, **kwargs: int) -> CopyReport:
    async def run() -> CopyReport:
        async with source.client, target.client:
            return await copy_image(source, target, digest, tag, **kwargs)

    return asyncio.run(run())


def fetch(server: RegistryServer, repo: str, reference: str) -> httpx.Response:
    with server.client() as http:
        response = http.get(
            f"/v2/{repo}/manifests/{reference}", headers={"Accept": images.MANIFEST_ACCEPT}
        )
    assert response.status_code == 200, response.text
    return response


def blob(server: RegistryServer, repo: str, digest: str) -> bytes:
    with server.client() as http:
        response = http.get(f"/v2/{repo}/blobs/{digest}")
    assert response.status_code == 200, (repo, digest)
    return response.content


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("HEAD", "/v2/m/app/manifests/1.0", "repository:m/app:pull"),
        ("PUT", "/v2/m/app/manifests/1.0", "repository:m/app:pull,push"),
        ("POST", "/v2/m/app/blobs/uploads/", "repository:m/app:pull,push"),
        ("PATCH", "/v2/a/b/c/blobs/uploads/0f3c-uuid", "repository:a/b/c:pull,push"),
        ("HEAD", "/v2/m/app/blobs/sha256:" + "0" * 64, "repository:m/app:pull"),
        ("GET", "/v2/", ""),
    ],
)
def test_writes_ask_for_a_push_scope(method: str, path: str, scope: str) -> None:
    assert scope_for_request(method, path) == scope


def test_single_arch_image_arrives_byte_identical(
    registry: RegistryServer, registry_factory: RegistryFactory
) -> None:
    mirror = registry_factory()
    repo, mirror_repo = unique_repo(), unique_repo("mirror")
    pushed = images.push_image(registry, repo, "1.0.0")

    report = copy(endpoint(registry, repo), endpoint(mirror, mirror_repo), pushed.digest, "1.0.0")

    assert (report.manifests_copied, report.blobs_copied, report.blobs_mounted) == (1, 2, 0)
    assert report.bytes_copied > 0 and not report.already_present
    served = fetch(mirror, mirror_repo, "1.0.0")
    assert served.content == pushed.manifest_bytes
    assert served.headers["Docker-Content-Digest"] == pushed.digest
    assert served.headers["Content-Type"] == images.OCI_MANIFEST
    for layer in json.loads(pushed.manifest_bytes)["layers"]:
        assert blob(mirror, mirror_repo, layer["digest"]) == blob(registry, repo, layer["digest"])


def test_second_copy_only_heads_the_mirror(
    registry: RegistryServer, registry_factory: RegistryFactory
) -> None:
    mirror = registry_factory()
    repo, mirror_repo = unique_repo(), unique_repo("mirror")
    pushed = images.push_index(registry, repo, "2.0.0")
    copy(endpoint(registry, repo), endpoint(mirror, mirror_repo), pushed.digest, "2.0.0")
    source, target = endpoint(registry, repo), endpoint(mirror, mirror_repo)

    again = copy(source, target, pushed.digest, "2.0.0")

    assert again == CopyReport(pushed.digest, "2.0.0", already_present=True)
    assert source.client.requests == 0  # the source is not even contacted
    assert target.client.requests == 3  # /v2/ probed over HTTPS then HTTP, one HEAD of the tag


@pytest.mark.parametrize("docker_list", [False, True], ids=["oci-index", "docker-list"])
def test_multi_arch_index_copies_every_platform(
    registry: RegistryServer, registry_factory: RegistryFactory, docker_list: bool
) -> None:
    mirror = registry_factory()
    repo, mirror_repo = unique_repo(), unique_repo("mirror")
    platforms = [("linux", "amd64"), ("linux", "arm64", "v8"), ("linux", "arm", "v7")]
    pushed = images.push_index(registry, repo, "3.1.0", platforms, docker_list=docker_list)

    report = copy(endpoint(registry, repo), endpoint(mirror, mirror_repo), pushed.digest, "3.1.0")

    assert report.manifests_copied == 4 and report.blobs_copied == 6
    index = fetch(mirror, mirror_repo, "3.1.0")
    assert index.content == pushed.manifest_bytes
    assert index.headers["Docker-Content-Digest"] == pushed.digest
    assert index.headers["Content-Type"] == pushed.media_type
    for child in pushed.children.values():
        assert fetch(mirror, mirror_repo, child).content == fetch(registry, repo, child).content


def test_same_registry_mounts_blobs_instead_of_uploading(registry: RegistryServer) -> None:
    repo, mirror_repo = unique_repo(), unique_repo("mirror")
    pushed = images.push_index(registry, repo, "1.2.0")
    source, target = endpoint(registry, repo), endpoint(registry, mirror_repo)

    report = copy(source, target, pushed.digest, "1.2.0")

    assert (report.blobs_mounted, report.blobs_copied, report.bytes_copied) == (4, 0, 0)
    assert source.client.requests == 2 + 3  # 2 probes, one GET per manifest, no blob GETs
    assert fetch(registry, mirror_repo, "1.2.0").headers["Docker-Content-Digest"] == pushed.digest


def test_large_layer_goes_up_in_bounded_chunks(
    registry: RegistryServer, registry_factory: RegistryFactory
) -> None:
    mirror = registry_factory()
    repo, mirror_repo = unique_repo(), unique_repo("mirror")
    content = hashlib.shake_256(b"seed").digest(300_000)  # incompressible: ~300 kB layer
    pushed = images.push_image(registry, repo, "1.0.0", content=content)
    target = endpoint(mirror, mirror_repo)

    report = copy(endpoint(registry, repo), target, pushed.digest, "1.0.0", chunk_size=64 << 10)

    layer = json.loads(pushed.manifest_bytes)["layers"][0]
    assert report.bytes_copied >= layer["size"] > 4 * (64 << 10)
    # probe, tag HEAD, 2 blob HEADs, 2 POSTs, >=4 PATCHes, 2 PUTs, manifest PUT, verify HEAD
    assert target.client.requests >= 14
    assert blob(mirror, mirror_repo, layer["digest"]) == blob(registry, repo, layer["digest"])


def test_credentials_go_only_to_their_own_host(
    registry_basic_tls: RegistryServer, registry_factory: RegistryFactory
) -> None:
    mirror = registry_factory(auth="basic", tls=True)
    assert mirror.password != registry_basic_tls.password
    repo, mirror_repo = unique_repo(), unique_repo("mirror")
    pushed = images.push_index(registry_basic_tls, repo, "4.0.0")
    both = dockerconfig(registry_basic_tls, mirror)  # one secret naming both hosts
    source = endpoint(registry_basic_tls, repo, options_for(registry_basic_tls, both))
    target = endpoint(mirror, mirror_repo, options_for(mirror, both))

    report = copy(source, target, pushed.digest, "4.0.0")

    assert report.manifests_copied == 3
    assert fetch(mirror, mirror_repo, "4.0.0").content == pushed.manifest_bytes


def test_mirror_without_its_credentials_fails_without_leaking_any(
    registry_basic_tls: RegistryServer, registry_factory: RegistryFactory
) -> None:
    mirror = registry_factory(auth="basic", tls=True)
    repo, mirror_repo = unique_repo(), unique_repo("mirror")
    pushed = images.push_image(registry_basic_tls, repo, "1.0.0")
    source_only = dockerconfig(registry_basic_tls)  # nothing for the mirror's host
    source = endpoint(registry_basic_tls, repo, options_for(registry_basic_tls, source_only))
    target = endpoint(mirror, mirror_repo, options_for(mirror, source_only))

    with pytest.raises(AuthFailedError) as caught:
        copy(source, target, pushed.digest, "1.0.0")

    assert caught.value.registry == mirror.host and caught.value.status == 401
    assert registry_basic_tls.password and registry_basic_tls.password not in str(caught.value)


def test_token_mirror_gets_a_push_scope(
    registry: RegistryServer, registry_token: RegistryServer
) -> None:
    repo, mirror_repo = unique_repo(), unique_repo("mirror")
    pushed = images.push_image(registry, repo, "1.0.0")
    assert registry_token.issuer is not None
    before = len(registry_token.issuer.scopes)

    copy(endpoint(registry, repo), endpoint(registry_token, mirror_repo), pushed.digest, "1.0.0")

    granted = registry_token.issuer.scopes[before:]
    assert f"repository:{mirror_repo}:pull,push" in granted
    assert fetch(registry_token, mirror_repo, "1.0.0").content == pushed.manifest_bytes


class Tamper(httpx.AsyncBaseTransport):
    """A real transport whose responses `edit` may rewrite (fault injection only)."""

    def __init__(self, edit: Callable[[httpx.Request, httpx.Response], httpx.Response]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.edit = edit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        return self.edit(request, response)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_mirror_serving_another_digest_fails_verification(
    registry: RegistryServer, registry_factory: RegistryFactory
) -> None:
    mirror = registry_factory()
    repo, mirror_repo = unique_repo(), unique_repo("mirror")
    pushed = images.push_image(registry, repo, "1.0.0")
    other = "sha256:" + "1" * 64
    copied = {"done": False}

    def lie(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.method == "PUT" and "/manifests/" in request.url.path:
            copied["done"] = True
        if request.method == "HEAD" and copied["done"] and "/manifests/" in request.url.path:
            response.headers["Docker-Content-Digest"] = other
        return response

    target = endpoint(mirror, mirror_repo, transport=Tamper(lie))
    with pytest.raises(DigestMismatchError, match=f"expected {pushed.digest}"):
        copy(endpoint(registry, repo), target, pushed.digest, "1.0.0")


def test_corrupted_blob_from_the_source_is_never_committed(
    registry: RegistryServer, registry_factory: RegistryFactory
) -> None:
    mirror = registry_factory()
    repo, mirror_repo = unique_repo(), unique_repo("mirror")
    pushed = images.push_image(registry, repo, "1.0.0")
    layer = json.loads(pushed.manifest_bytes)["layers"][0]["digest"]

    def corrupt(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.method == "GET" and request.url.path.endswith(layer):
            return httpx.Response(200, content=b"not the layer", request=request)
        return response

    source = endpoint(registry, repo, transport=Tamper(corrupt))
    with pytest.raises(DigestMismatchError, match="source sent content with digest"):
        copy(source, endpoint(mirror, mirror_repo), pushed.digest, "1.0.0")

    async def present() -> str:
        async with TransferClient(mirror.host, options_for(mirror)) as client:
            return await manifest_digest(
                Endpoint(client, parse_repository(f"{mirror.host}/{mirror_repo}")), "1.0.0"
            )

    assert asyncio.run(present()) == ""
    with mirror.client() as http:
        assert http.head(f"/v2/{mirror_repo}/blobs/{layer}").status_code == 404


def test_unknown_source_digest_is_a_registry_error(
    registry: RegistryServer, registry_factory: RegistryFactory
) -> None:
    mirror = registry_factory()
    repo = unique_repo()
    images.push_image(registry, repo, "1.0.0")
    with pytest.raises(RegistryError, match="not found") as caught:
        copy(endpoint(registry, repo), endpoint(mirror, "m/x"), "sha256:" + "2" * 64, "1.0.0")
    assert caught.value.registry == registry.host


def test_memory_held_stays_near_one_chunk_whatever_the_layer_size(
    registry: RegistryServer, registry_factory: RegistryFactory
) -> None:
    import tracemalloc

    mirror = registry_factory()
    repo, mirror_repo = unique_repo(), unique_repo("mirror")
    content = b"".join(hashlib.shake_256(bytes([i])).digest(1 << 20) for i in range(24))
    pushed = images.push_image(registry, repo, "1.0.0", content=content)
    del content
    tracemalloc.start()
    try:
        report = copy(
            endpoint(registry, repo),
            endpoint(mirror, mirror_repo),
            pushed.digest,
            "1.0.0",
            chunk_size=256 << 10,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert report.bytes_copied > 24 << 20
    assert peak < 8 << 20, f"copy held {peak >> 20} MiB for a 24 MiB layer"
