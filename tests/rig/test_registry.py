"""The rig itself: real registries answer the way the stages built on them will expect."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.rig import images
from tests.rig.images import list_tags, unique_repo
from tests.rig.procs import ProcessStartError
from tests.rig.registry import RegistryFactory, RegistryServer, running_registry


def head_digest(server: RegistryServer, repo: str, ref: str, accept: str) -> httpx.Response:
    with server.client() as client:
        return client.head(f"/v2/{repo}/manifests/{ref}", headers={"Accept": accept})


@pytest.fixture(params=["registry", "registry_basic_tls", "registry_token"])
def any_registry(request: pytest.FixtureRequest) -> RegistryServer:
    server: RegistryServer = request.getfixturevalue(request.param)
    return server


@pytest.mark.parametrize("media_type", [images.OCI_MANIFEST, images.DOCKER_MANIFEST])
def test_pushed_image_reads_back_with_its_digest(
    any_registry: RegistryServer, media_type: str
) -> None:
    repo = unique_repo()
    pushed = images.push_image(any_registry, repo, "1.0.0", media_type=media_type)

    assert pushed.digest == images.sha256_digest(pushed.manifest_bytes)
    assert list_tags(any_registry, repo) == ["1.0.0"]
    head = head_digest(any_registry, repo, "1.0.0", media_type)
    assert head.status_code == 200
    assert head.headers["Docker-Content-Digest"] == pushed.digest
    with any_registry.client() as client:
        body = client.get(f"/v2/{repo}/manifests/{pushed.digest}", headers={"Accept": media_type})
    assert body.content == pushed.manifest_bytes


def test_oci_manifest_needs_an_accept_header_naming_it(registry: RegistryServer) -> None:
    repo = unique_repo()
    images.push_image(registry, repo, "v1")

    refused = head_digest(registry, repo, "v1", images.DOCKER_MANIFEST)
    accepted = head_digest(registry, repo, "v1", images.MANIFEST_ACCEPT)

    assert refused.status_code == 404
    assert accepted.headers["Content-Type"] == images.OCI_MANIFEST


def test_pushing_new_content_moves_the_tag(registry: RegistryServer) -> None:
    repo = unique_repo()
    first = images.push_image(registry, repo, "latest")
    second = images.push_image(registry, repo, "latest")

    assert first.digest != second.digest
    served = head_digest(registry, repo, "latest", images.MANIFEST_ACCEPT)
    assert served.headers["Docker-Content-Digest"] == second.digest


def test_same_content_gives_the_same_digest(registry: RegistryServer) -> None:
    repo = unique_repo()
    one = images.push_image(registry, repo, "a", content=b"fixed")
    two = images.push_image(registry, repo, "b", content=b"fixed")
    assert one.digest == two.digest


@pytest.mark.parametrize("docker_list", [False, True])
def test_index_resolves_to_itself_and_its_children(
    registry: RegistryServer, docker_list: bool
) -> None:
    repo = unique_repo()
    platforms = [("linux", "amd64"), ("linux", "arm64", "v8"), ("linux", "arm", "v7")]
    pushed = images.push_index(registry, repo, "2.0", platforms, docker_list=docker_list)

    assert set(pushed.children) == set(platforms)
    assert len(set(pushed.children.values())) == 3
    head = head_digest(registry, repo, "2.0", images.MANIFEST_ACCEPT)
    assert head.headers["Docker-Content-Digest"] == pushed.digest
    assert head.headers["Content-Type"] == pushed.media_type
    for child in pushed.children.values():
        child_head = head_digest(registry, repo, child, images.MANIFEST_ACCEPT)
        assert child_head.status_code == 200


def test_docker_list_falls_back_to_amd64_for_single_manifest_clients(
    registry: RegistryServer,
) -> None:
    repo = unique_repo()
    pushed = images.push_index(registry, repo, "multi", docker_list=True)

    head = head_digest(registry, repo, "multi", images.DOCKER_MANIFEST)

    assert head.headers["Docker-Content-Digest"] == pushed.children[("linux", "amd64")]


def test_push_tags_gives_each_tag_its_own_digest(registry: RegistryServer) -> None:
    repo = unique_repo("bulk")
    tags = [f"1.{minor}.{patch}" for minor in range(5) for patch in range(10)]

    digests = images.push_tags(registry, repo, tags)

    assert sorted(list_tags(registry, repo)) == sorted(tags)
    assert len(set(digests.values())) == len(tags)
    head = head_digest(registry, repo, "1.3.7", images.MANIFEST_ACCEPT)
    assert head.headers["Docker-Content-Digest"] == digests["1.3.7"]


def test_retag_and_delete_manifest(registry: RegistryServer) -> None:
    repo = unique_repo()
    image = images.push_image(registry, repo, "v1")
    keep = images.push_image(registry, repo, "v3")

    images.retag(registry, image, "v2")
    assert sorted(list_tags(registry, repo)) == ["v1", "v2", "v3"]
    images.delete_manifest(registry, repo, image.digest)

    assert list_tags(registry, repo) == ["v3"]
    assert head_digest(registry, repo, keep.digest, images.MANIFEST_ACCEPT).status_code == 200


def test_basic_registry_rejects_wrong_password(registry_basic_tls: RegistryServer) -> None:
    server = registry_basic_tls
    with httpx.Client(verify=server.ssl_context(), auth=("rig-user", "wrong")) as client:
        response = client.get(f"{server.url}/v2/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_tls_registry_rejects_a_client_without_its_ca(registry_basic_tls: RegistryServer) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{registry_basic_tls.url}/v2/", verify=True)


def test_tls_certificate_is_strictly_valid_for_ip_and_localhost(
    registry_basic_tls: RegistryServer,
) -> None:
    context = registry_basic_tls.ssl_context()
    assert not isinstance(context, bool)
    context.verify_flags |= 0x20  # ssl.VERIFY_X509_STRICT, the default from Python 3.13 on
    port = registry_basic_tls.host.rsplit(":", 1)[1]
    auth = (registry_basic_tls.username or "", registry_basic_tls.password or "")
    for host in ("127.0.0.1", "localhost"):
        response = httpx.get(f"https://{host}:{port}/v2/", verify=context, auth=auth)
        assert response.status_code == 200


def test_factory_starts_a_pull_through_mirror(
    registry: RegistryServer, registry_factory: RegistryFactory
) -> None:
    repo = unique_repo()
    pushed = images.push_image(registry, repo, "v1")

    mirror = registry_factory(config={"proxy": {"remoteurl": registry.url}})

    assert mirror.host != registry.host
    served = head_digest(mirror, repo, "v1", images.MANIFEST_ACCEPT)
    assert served.headers["Docker-Content-Digest"] == pushed.digest


def test_registry_process_is_gone_after_the_block(tmp_path: Path) -> None:
    with running_registry(tmp_path) as server:
        assert server.pid is not None
        os.kill(server.pid, 0)  # alive
        url = server.url
    with pytest.raises(ProcessLookupError):
        os.kill(server.pid, 0)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v2/")


def test_bad_config_fails_fast_with_the_registry_log(tmp_path: Path) -> None:
    bad: dict[str, object] = {
        "storage": {"inmemory": {}}
    }  # two storage drivers: distribution refuses to start
    with (
        pytest.raises(ProcessStartError, match="docker-registry exited") as failure,
        running_registry(tmp_path, config=bad),
    ):
        pass
    assert failure.value.exited
    assert "storage" in str(failure.value)


ORPHAN_SCRIPT = """
import pathlib, sys, tempfile, time
from tests.rig.registry import running_registry
with running_registry(pathlib.Path(tempfile.mkdtemp(dir=sys.argv[1]))) as server:
    print(server.pid, flush=True)
    time.sleep(60)
"""


def _exited(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has exited, awaiting its reaper


def test_registry_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_SCRIPT, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert parent.stdout is not None
    registry_pid = int(parent.stdout.readline())
    assert not _exited(registry_pid)

    parent.kill()  # SIGKILL: no atexit, no finally; only the kernel's pdeathsig is left
    parent.wait()

    deadline = time.monotonic() + 10
    while not _exited(registry_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert _exited(registry_pid)
    finally:
        if not _exited(registry_pid):
            os.kill(registry_pid, signal.SIGKILL)  # no orphan even when the test fails
