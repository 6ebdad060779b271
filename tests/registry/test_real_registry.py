"""The client against real registries from the rig: anonymous, basic over TLS, bearer tokens."""

from __future__ import annotations

import asyncio
import base64
import importlib.abc
import json
import os
import stat
import sys
import uuid
from pathlib import Path

import pytest

from automation.errors import RegistryPermanentError
from automation.reference import ImageName, parse_repository
from automation.registry import (
    Credentials,
    CredentialSources,
    Manifest,
    RegistryClient,
    ScanOptions,
    ScanResult,
    ScanTarget,
    scan_many,
    scan_repository,
)
from automation.registry.auth import AuthFailedError
from automation.registry.faults import ManifestUnknownError, RepositoryNotFoundError
from automation.registry.limits import RetryPolicy
from tests.rig import images
from tests.rig.registry import RegistryServer

NO_RETRY = RetryPolicy(attempts=1)


def unique_repo(prefix: str = "scan") -> str:
    return f"{prefix}/{uuid.uuid4().hex[:12]}"


def options_for(server: RegistryServer, **overrides: object) -> ScanOptions:
    """What the config layer would build for this server: CA, credentials, HTTP if plain."""
    explicit = Credentials(server.username, server.password or "") if server.username else None
    values: dict[str, object] = {
        "insecure": server.scheme == "http",
        "ca_pem": server.ca_file.read_bytes() if server.ca_file else None,
        "credentials": CredentialSources(explicit=explicit),
    }
    return ScanOptions(**(values | overrides))  # type: ignore[arg-type]


def image_on(server: RegistryServer, repo: str) -> ImageName:
    return parse_repository(f"{server.host}/{repo}")


async def _scan(server: RegistryServer, repo: str, options: ScanOptions) -> ScanResult:
    async with RegistryClient(server.host, options) as client:
        return await scan_repository(client, image_on(server, repo), [])


async def _digest(server: RegistryServer, repo: str, tag: str, options: ScanOptions) -> str:
    async with RegistryClient(server.host, options) as client:
        return await client.resolve_digest(image_on(server, repo), tag)


@pytest.fixture(params=["registry", "registry_basic_tls", "registry_token"])
def any_registry(request: pytest.FixtureRequest) -> RegistryServer:
    server: RegistryServer = request.getfixturevalue(request.param)
    return server


def test_scan_lists_every_tag_minus_the_default_exclusion(any_registry: RegistryServer) -> None:
    repo = unique_repo()
    tags = [f"1.{i}.0" for i in range(12)] + ["latest", "sha256-abc.sig"]
    images.push_tags(any_registry, repo, tags)
    result = asyncio.run(_scan(any_registry, repo, options_for(any_registry)))
    expected = sorted((t for t in tags if not t.endswith(".sig")), reverse=True)
    assert result.canonical_name == f"{any_registry.host}/{repo}"
    assert list(result.tags) == expected
    assert result.tag_count == 13
    assert list(result.latest_tags) == expected[:10]


@pytest.mark.parametrize("docker_list", [False, True])
def test_multi_arch_index_digest_is_the_one_the_registry_reports(
    any_registry: RegistryServer, docker_list: bool
) -> None:
    repo = unique_repo()
    pushed = images.push_index(any_registry, repo, "multi", docker_list=docker_list)
    assert asyncio.run(_digest(any_registry, repo, "multi", options_for(any_registry))) == (
        pushed.digest
    )


@pytest.mark.parametrize("media_type", [images.OCI_MANIFEST, images.DOCKER_MANIFEST])
def test_single_manifest_digest_and_a_moved_tag(registry: RegistryServer, media_type: str) -> None:
    repo = unique_repo()
    options = options_for(registry)
    first = images.push_image(registry, repo, "v1", media_type=media_type)
    assert asyncio.run(_digest(registry, repo, "v1", options)) == first.digest
    moved = images.push_image(registry, repo, "v1", media_type=media_type)
    assert moved.digest != first.digest
    assert asyncio.run(_digest(registry, repo, "v1", options)) == moved.digest


def test_fetch_manifest_by_digest_returns_the_exact_bytes(registry: RegistryServer) -> None:
    repo = unique_repo()
    pushed = images.push_index(registry, repo, "multi")

    async def run() -> Manifest:
        async with RegistryClient(registry.host, options_for(registry)) as client:
            return await client.fetch_manifest(image_on(registry, repo), pushed.digest)

    manifest = asyncio.run(run())
    assert manifest.body == pushed.manifest_bytes
    assert manifest.media_type == images.OCI_INDEX
    assert manifest.digest == pushed.digest


def test_unknown_repository_and_unknown_tag_are_permanent(registry: RegistryServer) -> None:
    options = options_for(registry)
    with pytest.raises(RepositoryNotFoundError, match="HTTP 404"):
        asyncio.run(_scan(registry, unique_repo("missing"), options))
    repo = unique_repo()
    images.push_image(registry, repo, "v1")
    with pytest.raises(ManifestUnknownError, match="resolve v2"):
        asyncio.run(_digest(registry, repo, "v2", options))


def test_basic_auth_wrong_password_is_permanent(registry_basic_tls: RegistryServer) -> None:
    wrong = CredentialSources(explicit=Credentials(registry_basic_tls.username or "", "nope"))
    with pytest.raises(AuthFailedError, match="HTTP 401") as caught:
        asyncio.run(
            _scan(
                registry_basic_tls, "any/repo", options_for(registry_basic_tls, credentials=wrong)
            )
        )
    assert "nope" not in str(caught.value)


def test_untrusted_tls_certificate_is_a_permanent_error(
    registry_basic_tls: RegistryServer,
) -> None:
    options = options_for(registry_basic_tls, ca_pem=None, retry=NO_RETRY)
    with pytest.raises(RegistryPermanentError, match="certSecretRef"):
        asyncio.run(_scan(registry_basic_tls, "any/repo", options))


def test_pull_secret_dockerconfigjson_is_used(registry_basic_tls: RegistryServer) -> None:
    server = registry_basic_tls
    auth = base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
    secret = json.dumps({"auths": {f"https://{server.host}": {"auth": auth}}}).encode()
    repo = unique_repo()
    images.push_tags(server, repo, ["a", "b"])
    options = options_for(server, credentials=CredentialSources(pull_secret=secret))
    assert asyncio.run(_scan(server, repo, options)).tags == ("b", "a")


def _credential_helper(bin_dir: Path, name: str, host: str, username: str, secret: str) -> None:
    """A real `docker-credential-<name>` executable that knows one server."""
    answer = json.dumps({"ServerURL": host, "Username": username, "Secret": secret})
    script = bin_dir / f"docker-credential-{name}"
    script.write_text(
        "#!/bin/sh\n"
        '[ "$1" = get ] || exit 2\n'
        "read server\n"
        f'if [ "$server" = "{host}" ]; then echo \'{answer}\'; exit 0; fi\n'
        "echo 'credentials not found in native keychain'; exit 1\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_token_auth_via_docker_config_cred_helper(
    registry_token: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = registry_token
    assert server.username and server.password and server.issuer
    _credential_helper(tmp_path, "rigtest", server.host, server.username, server.password)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credHelpers": {server.host: "rigtest"}, "auths": {}}))
    repo = unique_repo()
    images.push_tags(server, repo, ["1.0", "2.0"])
    before = server.issuer.count_for(f"repository:{repo}:pull")
    options = options_for(server, credentials=CredentialSources(docker_config=config))
    assert asyncio.run(_scan(server, repo, options)).tags == ("2.0", "1.0")
    assert server.issuer.count_for(f"repository:{repo}:pull") == before + 1


def test_token_auth_fan_out_fetches_one_token_per_scope(registry_token: RegistryServer) -> None:
    server = registry_token
    assert server.issuer is not None
    repo = unique_repo()
    digests = images.push_tags(server, repo, [f"t{i}" for i in range(20)])

    async def run() -> list[str]:
        async with RegistryClient(server.host, options_for(server)) as client:
            name = image_on(server, repo)
            return await asyncio.gather(*(client.resolve_digest(name, t) for t in digests))

    assert asyncio.run(run()) == list(digests.values())
    assert server.issuer.count_for(f"repository:{repo}:pull") == 1


def test_token_auth_wrong_password_is_permanent(registry_token: RegistryServer) -> None:
    wrong = CredentialSources(explicit=Credentials(registry_token.username or "", "nope"))
    options = options_for(registry_token, credentials=wrong)
    with pytest.raises(AuthFailedError, match="refused the credentials"):
        asyncio.run(_scan(registry_token, unique_repo(), options))


def test_scan_many_across_registries(
    registry: RegistryServer, registry_token: RegistryServer
) -> None:
    plain, token = unique_repo(), unique_repo()
    images.push_tags(registry, plain, ["1", "2"])
    images.push_tags(registry_token, token, ["3"])
    targets = [
        ScanTarget("ns/plain", image_on(registry, plain), (), options_for(registry)),
        ScanTarget("ns/token", image_on(registry_token, token), (), options_for(registry_token)),
        ScanTarget("ns/missing", image_on(registry, unique_repo()), (), options_for(registry)),
        ScanTarget("ns/excl", image_on(registry, plain), ("^2$",), options_for(registry)),
    ]
    outcomes = asyncio.run(scan_many(targets))
    assert [o.target.key for o in outcomes] == ["ns/plain", "ns/token", "ns/missing", "ns/excl"]
    assert outcomes[0].result is not None and outcomes[0].result.tags == ("2", "1")
    assert outcomes[1].result is not None and outcomes[1].result.tags == ("3",)
    assert isinstance(outcomes[2].error, RepositoryNotFoundError)
    assert outcomes[3].result is not None and outcomes[3].result.tags == ("1",)


def test_plain_http_registry_without_insecure_is_a_permanent_error(
    registry: RegistryServer,
) -> None:
    options = options_for(registry, insecure=False)
    with pytest.raises(RegistryPermanentError, match="set insecure: true"):
        asyncio.run(_scan(registry, unique_repo(), options))


class _LookupRecorder(importlib.abc.MetaPathFinder):
    """Records every module lookup that reaches the import system (sys.modules misses)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def find_spec(self, fullname: str, path: object, target: object = None) -> None:
        self.names.append(fullname)


def test_a_scan_looks_up_no_module_per_request(registry: RegistryServer) -> None:
    # A library that imports on every request (httpcore asks for `sniffio` each time) costs
    # a sys.path search per request when the module is missing: ~2 ms each in a cold scan.
    repos = [unique_repo() for _ in range(3)]
    for repo in repos:
        images.push_tags(registry, repo, ["1.0"])
    targets = [
        ScanTarget(repo, image_on(registry, repo), (), options_for(registry)) for repo in repos
    ]
    asyncio.run(scan_many(targets))  # first use imports what it needs
    recorder = _LookupRecorder()
    sys.meta_path.insert(0, recorder)
    try:
        outcomes = asyncio.run(scan_many(targets))
    finally:
        sys.meta_path.remove(recorder)
    assert all(o.result is not None and o.result.tags == ("1.0",) for o in outcomes)
    assert recorder.names == []
