"""TLS material from certSecretRef (system CAs + ca.crt, client certificates) and proxies."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from automation.errors import RegistryError, StalledError
from automation.reference import parse_repository
from automation.registry import ProxyConfig, RegistryClient, ScanOptions, TagList
from automation.registry.limits import RetryPolicy
from automation.registry.transport import TLSConfigError, build_ssl_context, proxy_arguments
from tests.rig import certs
from tests.rig.registry import RegistryFactory


def test_context_trusts_system_cas_plus_the_extra_ca() -> None:
    system = len(ssl.create_default_context().get_ca_certs())
    extra = certs.new_ca("extra CA")
    context = build_ssl_context(extra.cert_pem)
    assert len(context.get_ca_certs()) == system + 1
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ca_pem": b"not a certificate"}, "ca.crt is not a PEM certificate"),
        ({"client_cert_pem": b"x"}, "must be given together"),
        ({"client_key_pem": b"x"}, "must be given together"),
        ({"client_cert_pem": b"garbage", "client_key_pem": b"garbage"}, "unusable"),
    ],
)
def test_bad_tls_material_is_a_stalled_error(kwargs: dict[str, bytes], message: str) -> None:
    with pytest.raises(TLSConfigError, match=message) as caught:
        build_ssl_context(**kwargs)
    assert isinstance(caught.value, StalledError)


def test_mismatched_client_key_is_refused() -> None:
    ca = certs.new_ca()
    one, other = certs.issue(ca, "one", server_auth=False), certs.issue(ca, "two")
    with pytest.raises(TLSConfigError, match="unusable"):
        build_ssl_context(None, one.cert_pem, other.key_pem)


def test_proxy_from_secret_overrides_the_environment() -> None:
    args = proxy_arguments(ScanOptions(proxy=ProxyConfig("http://proxy:3128", "u", "p")))
    assert args["trust_env"] is False
    assert args["proxy"].url == "http://proxy:3128"
    assert proxy_arguments(ScanOptions()) == {"trust_env": True}


def test_invalid_proxy_address_never_echoes_its_password() -> None:
    options = ScanOptions(proxy=ProxyConfig("ftp://user:hunter2@proxy:21"))
    with pytest.raises(StalledError, match="invalid proxy address") as caught:
        proxy_arguments(options)
    assert "hunter2" not in str(caught.value)


def test_client_certificate_against_a_registry_that_requires_one(
    registry_factory: RegistryFactory, tmp_path: Path
) -> None:
    client_ca = certs.new_ca("client CA")
    client_ca_file, _ = client_ca.write(tmp_path, "client-ca")
    server = registry_factory(
        tls=True, config={"http": {"tls": {"clientcas": [str(client_ca_file)]}}}
    )
    assert server.ca_file is not None
    leaf = certs.issue(client_ca, "scanner", server_auth=False)
    name = parse_repository(f"{server.host}/mtls/app")
    with_cert = ScanOptions(
        ca_pem=server.ca_file.read_bytes(),
        client_cert_pem=leaf.cert_pem,
        client_key_pem=leaf.key_pem,
        retry=RetryPolicy(attempts=1),
    )
    without = ScanOptions(ca_pem=server.ca_file.read_bytes(), retry=RetryPolicy(attempts=1))

    async def list_with(options: ScanOptions) -> TagList:
        async with RegistryClient(server.host, options) as client:
            return await client.list_tags(name)

    # Nothing can be pushed without a client certificate, so the repository stays unknown:
    # a 404 proves the handshake went through, a connection error that it did not.
    with pytest.raises(RegistryError, match=r"connect: \w+"):
        asyncio.run(list_with(without))
    with pytest.raises(RegistryError, match="repository not found"):
        asyncio.run(list_with(with_cert))
