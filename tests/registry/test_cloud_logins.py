"""`provider: aws|gcp|azure` end to end: the cloud's identity endpoint mints credentials, the
rig's registry (token auth) accepts them, tags are listed; expired logins are renewed.

ECR's API is moto's server mode (a real AWS API emulator); GCP's metadata server, Entra ID and
ACR's exchange are the local servers of tests/rig/clouds.py, which follow the documented
requests and responses. Cloud host names resolve to 127.0.0.1 for the duration of a test.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from automation.cli import main
from automation.errors import RegistryError, RegistryPermanentError
from automation.reference import parse_repository
from automation.registry import CredentialSources, RegistryClient, ScanOptions, providers
from automation.registry.auth import AuthFailedError
from automation.registry.providers import CloudLogins, ProviderMismatchError
from tests.rig import images
from tests.rig.clouds import (
    AcrFront,
    AzureImds,
    EntraServer,
    GcpMetadataServer,
    GoogleTokenServer,
    moto_server,
    resolve_to_localhost,
)
from tests.rig.registry import RegistryServer

ACCOUNT = "123456789012"  # moto's default account
CLOUD_SUFFIXES = (".amazonaws.com", ".gcr.io", "-docker.pkg.dev", ".azurecr.io")


@pytest.fixture
def logins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[CloudLogins]:
    """A fresh process-wide login cache, with a clock the test can move; no ADC file of the
    machine's own (gcloud's well-known file) is seen."""
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))
    fresh = CloudLogins()
    monkeypatch.setattr(providers, "LOGINS", fresh)
    monkeypatch.setattr("automation.registry.client.LOGINS", fresh)
    with resolve_to_localhost(CLOUD_SUFFIXES):
        yield fresh


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto: str, tmp_path: Path) -> None:
    """Credentials from the environment, as a pod with static keys would have them."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECR", moto)


@pytest.fixture
def pushed(registry_token: RegistryServer) -> str:
    repo = images.unique_repo("cloud")
    for tag in ("1.0.0", "1.1.0"):
        images.push_image(registry_token, repo, tag)
    return repo


def port_of(server: RegistryServer) -> str:
    return server.host.rsplit(":", 1)[1]


def list_tags(host: str, repo: str, provider: str) -> list[str]:
    options = ScanOptions(insecure=True, credentials=CredentialSources(provider=provider))

    async def run() -> list[str]:
        async with RegistryClient(host, options) as client:
            return (await client.list_tags(parse_repository(f"{host}/{repo}"))).tags

    return sorted(asyncio.run(run()))


def logged_in_as(server: RegistryServer, username: str) -> int:
    assert server.issuer is not None
    return sum(1 for r in server.issuer.requests if r.username == username and r.granted)


def test_aws_lists_an_ecr_registry_with_a_token_from_moto(
    logins: CloudLogins, aws_env: None, registry_token: RegistryServer, pushed: str
) -> None:
    assert registry_token.issuer is not None
    # moto's GetAuthorizationToken answers AWS:<account>-auth-token; the registry accepts it.
    registry_token.issuer.users["AWS"] = f"{ACCOUNT}-auth-token"
    host = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com:{port_of(registry_token)}"
    assert list_tags(host, pushed, "aws") == ["1.0.0", "1.1.0"]
    assert logged_in_as(registry_token, "AWS") >= 1
    assert logins.fetches == 1


def test_aws_logs_in_again_when_the_token_expires(
    logins: CloudLogins, aws_env: None, registry_token: RegistryServer, pushed: str
) -> None:
    assert registry_token.issuer is not None
    registry_token.issuer.users["AWS"] = f"{ACCOUNT}-auth-token"
    host = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com:{port_of(registry_token)}"
    # moto's tokens expire at 2015-01-01T00:00Z: place the clock a day before.
    logins.clock = lambda: 1420070400.0 - 86400
    list_tags(host, pushed, "aws")
    list_tags(host, pushed, "aws")
    assert logins.fetches == 1  # cached: 24 h left
    logins.clock = lambda: 1420070400.0 - 60  # inside the refresh margin
    assert list_tags(host, pushed, "aws") == ["1.0.0", "1.1.0"]
    assert logins.fetches == 2


def test_aws_without_credentials_is_a_clear_error(
    logins: CloudLogins, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    host = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    with pytest.raises(RegistryPermanentError, match="no AWS credentials found"):
        asyncio.run(logins.credentials("aws", host, _unused_post))


async def _unused_post(path: str, form: dict[str, str]) -> tuple[int, bytes]:
    raise AssertionError("no exchange for this provider")


def test_provider_on_a_foreign_registry_is_refused_before_any_login(
    logins: CloudLogins, registry_token: RegistryServer, pushed: str
) -> None:
    with pytest.raises(ProviderMismatchError):
        list_tags(registry_token.host, pushed, "aws")
    assert logins.fetches == 0


@pytest.fixture
def metadata(monkeypatch: pytest.MonkeyPatch) -> Iterator[GcpMetadataServer]:
    server = GcpMetadataServer()
    monkeypatch.setenv("GCE_METADATA_HOST", server.host)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    yield server
    server.stop()


def accept_gcp_tokens(registry: RegistryServer, metadata: GcpMetadataServer) -> None:
    """The registry side trusts the newest token the metadata server issued."""
    assert registry.issuer is not None
    registry.issuer.users["oauth2accesstoken"] = metadata.tokens[-1]


def test_gcp_uses_the_metadata_server_token(
    logins: CloudLogins,
    metadata: GcpMetadataServer,
    registry_token: RegistryServer,
    pushed: str,
) -> None:
    host = f"europe-west1-docker.pkg.dev:{port_of(registry_token)}"
    asyncio.run(logins.credentials("gcp", host, _unused_post))  # mint, then let the registry know
    accept_gcp_tokens(registry_token, metadata)
    assert list_tags(host, pushed, "gcp") == ["1.0.0", "1.1.0"]
    method, path, headers, _ = metadata.requests[0]
    assert (method, path, headers["metadata-flavor"]) == ("GET", metadata.TOKEN_PATH, "Google")
    assert len(metadata.tokens) == 1  # the scan reused the cached token


def test_gcp_refreshes_before_expiry_and_scans_with_the_new_token(
    logins: CloudLogins,
    metadata: GcpMetadataServer,
    registry_token: RegistryServer,
    pushed: str,
) -> None:
    host = f"eu.gcr.io:{port_of(registry_token)}"
    offset = [0.0]
    logins.clock = lambda: time.time() + offset[0]
    metadata.expires_in = 3600
    asyncio.run(logins.credentials("gcp", host, _unused_post))
    accept_gcp_tokens(registry_token, metadata)
    assert list_tags(host, pushed, "gcp") == ["1.0.0", "1.1.0"]
    offset[0] = 3600 - providers.REFRESH_MARGIN + 5  # about to expire
    asyncio.run(logins.credentials("gcp", host, _unused_post))
    assert len(metadata.tokens) == 2
    accept_gcp_tokens(registry_token, metadata)  # from now on only the new token works
    assert list_tags(host, pushed, "gcp") == ["1.0.0", "1.1.0"]
    registry_token.issuer.users["oauth2accesstoken"] = "revoked"  # type: ignore[union-attr]
    with pytest.raises(AuthFailedError):
        list_tags(host, pushed, "gcp")  # proves the scans above used the cached new token
    assert len(metadata.tokens) == 2
    # The refusal dropped the cached login: the next scan logs in again on its own.
    registry_token.issuer.users["oauth2accesstoken"] = "not yet known"  # type: ignore[union-attr]
    with pytest.raises(AuthFailedError):
        list_tags(host, pushed, "gcp")
    assert len(metadata.tokens) == 3


def test_gcp_refuses_an_answer_without_the_metadata_flavor_header(
    logins: CloudLogins, monkeypatch: pytest.MonkeyPatch, registry_token: RegistryServer
) -> None:
    # The registry is not a metadata server: its answer must not be taken for a token.
    monkeypatch.setenv("GCE_METADATA_HOST", registry_token.host)
    with pytest.raises(RegistryPermanentError, match="Metadata-Flavor"):
        asyncio.run(logins.credentials("gcp", "gcr.io", _unused_post))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"access_token": "' + b"a" * (300 << 10) + b'"}', "exceeds"),
        (b"[" * 100_000, "not JSON"),
        (b'{"access_token": 7}', "no access_token"),
    ],
)
def test_gcp_hostile_metadata_answers_are_bounded_errors(
    logins: CloudLogins, metadata: GcpMetadataServer, body: bytes, message: str
) -> None:
    metadata.hostile_body = body
    with pytest.raises(RegistryError, match=message):
        asyncio.run(logins.credentials("gcp", "gcr.io", _unused_post))


TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def acr(
    registry_token: RegistryServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[EntraServer, AcrFront]]:
    assertion = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln"
    entra = EntraServer(TENANT, CLIENT, assertion=assertion)
    issuer = registry_token.issuer
    assert issuer is not None

    def trust(refresh: str) -> None:
        issuer.users[AcrFront.ACR_USER] = refresh

    front = AcrFront(registry_token.url, lambda token: token in entra.issued, trust)
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(assertion + "\n")
    for name in ("AZURE_CLIENT_SECRET", "AZURE_POD_IDENTITY_AUTHORITY_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT)
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", entra.authority)
    yield entra, front
    front.stop()
    entra.stop()


def test_azure_workload_identity_token_is_exchanged_at_the_registry(
    logins: CloudLogins,
    acr: tuple[EntraServer, AcrFront],
    registry_token: RegistryServer,
    pushed: str,
) -> None:
    entra, front = acr
    host = f"myregistry.azurecr.io:{front.port}"
    assert list_tags(host, pushed, "azure") == ["1.0.0", "1.1.0"]
    assert len(entra.issued) == 1
    (form,) = front.exchanges
    assert form == {
        "grant_type": "access_token",
        "service": "myregistry.azurecr.io",
        "tenant": TENANT,
        "access_token": entra.issued[0],
    }
    assert logged_in_as(registry_token, AcrFront.ACR_USER) >= 1


def test_azure_refresh_token_expiry_drives_the_next_login(
    logins: CloudLogins,
    acr: tuple[EntraServer, AcrFront],
    registry_token: RegistryServer,
    pushed: str,
) -> None:
    entra, front = acr
    front.lifetime = 600  # the refresh token's exp claim, 10 minutes from now
    host = f"myregistry.azurecr.io:{front.port}"
    list_tags(host, pushed, "azure")
    list_tags(host, pushed, "azure")
    assert len(front.exchanges) == 1
    real = logins.clock
    logins.clock = lambda: real() + 600 - providers.REFRESH_MARGIN + 1
    assert list_tags(host, pushed, "azure") == ["1.0.0", "1.1.0"]
    assert len(front.exchanges) == 2
    assert len(entra.issued) == 2


def test_azure_refused_by_entra_names_no_secret(
    logins: CloudLogins, acr: tuple[EntraServer, AcrFront], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, front = acr
    monkeypatch.setenv("AZURE_CLIENT_ID", "someone-else")
    with pytest.raises(RegistryPermanentError) as caught:
        list_tags(f"myregistry.azurecr.io:{front.port}", "x/y", "azure")
    assert "eyJ" not in str(caught.value)
    assert front.exchanges == []


def test_scan_command_with_provider_aws_reads_the_policy_field(
    logins: CloudLogins,
    aws_env: None,
    registry_token: RegistryServer,
    pushed: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert registry_token.issuer is not None
    registry_token.issuer.users["AWS"] = f"{ACCOUNT}-auth-token"
    host = f"{ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com:{port_of(registry_token)}"
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "repo.yaml").write_text(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
        "metadata: {name: app, namespace: apps}\n"
        f"spec:\n  image: {host}/{pushed}\n  interval: 1h\n  insecure: true\n"
        "  provider: aws\n"
    )
    assert main(["scan", str(policies), "--state", str(tmp_path / "s.db"), "-o", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["tags"] == 2 and not row.get("error")
    assert logins.fetches == 1
    (policies / "repo.yaml").write_text(
        (policies / "repo.yaml").read_text().replace("provider: aws", "provider: gcp")
    )
    assert (
        main(["scan", str(policies), "--state", str(tmp_path / "s.db"), "--name", "apps/app"]) == 1
    )
    captured = capsys.readouterr()
    assert "provider gcp: not a GCR" in captured.out + captured.err


def test_azure_managed_identity_from_imds(
    logins: CloudLogins,
    acr: tuple[EntraServer, AcrFront],
    monkeypatch: pytest.MonkeyPatch,
    registry_token: RegistryServer,
    pushed: str,
) -> None:
    _, front = acr
    imds = AzureImds()
    front.accept = lambda token: token in imds.issued
    for name in ("AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds.host)
    try:
        assert list_tags(f"myregistry.azurecr.io:{front.port}", pushed, "azure") == [
            "1.0.0",
            "1.1.0",
        ]
    finally:
        imds.stop()
    method, path, headers, _ = imds.requests[0]
    assert method == "GET" and headers["metadata"] == "true"
    assert "resource=https%3A%2F%2Fmanagement.azure.com%2F" in path
    assert "tenant" not in front.exchanges[0]


def test_azure_client_secret_from_the_environment(
    logins: CloudLogins,
    acr: tuple[EntraServer, AcrFront],
    monkeypatch: pytest.MonkeyPatch,
    pushed: str,
) -> None:
    entra, front = acr
    entra.secret = "s3cr3t-value"
    monkeypatch.delenv("AZURE_FEDERATED_TOKEN_FILE")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "s3cr3t-value")
    assert list_tags(f"myregistry.azurecr.io:{front.port}", pushed, "azure") == ["1.0.0", "1.1.0"]
    assert len(entra.issued) == 1


@pytest.fixture
def google(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[GoogleTokenServer, Path]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    email = "scanner@project.iam.gserviceaccount.com"
    server = GoogleTokenServer(key.public_key(), email, ("cid", "csecret", "1//refresh"))
    account = {
        "type": "service_account",
        "project_id": "project",
        "private_key_id": "abc123",
        "private_key": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "client_email": email,
        "token_uri": server.token_uri,
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(account))
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")  # never asked
    yield server, path
    server.stop()


def test_gcp_service_account_key_file(
    logins: CloudLogins,
    google: tuple[GoogleTokenServer, Path],
    registry_token: RegistryServer,
    pushed: str,
) -> None:
    server, _ = google
    host = f"us-docker.pkg.dev:{port_of(registry_token)}"
    creds = asyncio.run(logins.credentials("gcp", host, _unused_post))
    assert (creds.username, creds.password) == ("oauth2accesstoken", server.issued[0])
    assert server.grants == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    registry_token.issuer.users["oauth2accesstoken"] = server.issued[0]  # type: ignore[union-attr]
    assert list_tags(host, pushed, "gcp") == ["1.0.0", "1.1.0"]


def test_gcp_authorized_user_file_and_unsupported_types(
    logins: CloudLogins, google: tuple[GoogleTokenServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, path = google
    user = {
        "type": "authorized_user",
        "client_id": "cid",
        "client_secret": "csecret",
        "refresh_token": "1//refresh",
        "token_uri": server.token_uri,
    }
    path.write_text(json.dumps(user))
    creds = asyncio.run(logins.credentials("gcp", "gcr.io", _unused_post))
    assert creds.password == server.issued[-1] and server.grants == ["refresh_token"]
    path.write_text(json.dumps(user | {"refresh_token": "revoked"}))
    with pytest.raises(RegistryPermanentError, match="refused"):
        asyncio.run(logins.credentials("gcp", "eu.gcr.io", _unused_post))
    path.write_text(json.dumps({"type": "external_account"}))
    with pytest.raises(RegistryPermanentError, match="'external_account' are not supported"):
        asyncio.run(logins.credentials("gcp", "asia.gcr.io", _unused_post))
    path.write_text(json.dumps(user | {"token_uri": "http://oauth2.example/token"}))
    with pytest.raises(RegistryPermanentError, match="must be https"):
        asyncio.run(logins.credentials("gcp", "us.gcr.io", _unused_post))


def test_gcloud_well_known_file_is_used_without_the_variable(
    logins: CloudLogins, google: tuple[GoogleTokenServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, path = google
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")
    gcloud = path.parent / "gcloud-config"
    gcloud.mkdir()
    (gcloud / "application_default_credentials.json").write_text(path.read_text())
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(gcloud))
    creds = asyncio.run(logins.credentials("gcp", "gcr.io", _unused_post))
    assert creds.password == server.issued[-1]


def test_cloud_tokens_never_reach_logs_or_errors(
    logins: CloudLogins,
    metadata: GcpMetadataServer,
    registry_token: RegistryServer,
    pushed: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    host = f"eu.gcr.io:{port_of(registry_token)}"
    registry_token.issuer.users["oauth2accesstoken"] = "something else"  # type: ignore[union-attr]
    with pytest.raises(AuthFailedError) as caught:
        list_tags(host, pushed, "gcp")
    (token,) = metadata.tokens
    assert token not in str(caught.value)
    assert token not in caplog.text
    assert token not in repr(asyncio.run(logins.credentials("gcp", host, _unused_post)))
