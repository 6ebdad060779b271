"""TLS material from certSecretRef (system CAs + ca.crt, client certificates) and proxies."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from automation.errors import RegistryError, RegistryPermanentError, StalledError
from automation.reference import parse_repository
from automation.registry import ProxyConfig, RegistryClient, ScanOptions, TagList
from automation.registry.limits import RetryPolicy
from automation.registry.transport import TLSConfigError, build_ssl_context, proxy_arguments
from tests.rig import certs, images
from tests.rig.ports import LOCALHOST, free_port, is_listening
from tests.rig.procs import start_process
from tests.rig.registry import REGISTRY_BINARY, RegistryServer, base_config


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


@pytest.fixture
def mtls_registry(tmp_path: Path) -> Iterator[tuple[str, certs.KeyPair, bytes]]:
    """A real registry demanding client certificates: (host, client CA, server CA PEM).

    Started here rather than via the rig's `registry_factory`, whose readiness probe has no
    client certificate and so never sees such a registry come up.
    """
    server_ca, client_ca = certs.new_ca("server CA"), certs.new_ca("client CA")
    client_ca_file, _ = client_ca.write(tmp_path, "client-ca")
    cert_file, key_file = certs.localhost_server_cert(server_ca).write(tmp_path, "server")
    config = base_config(tmp_path / "storage")
    port = free_port()
    config["http"] |= {
        "addr": f"{LOCALHOST}:{port}",
        "tls": {
            "certificate": str(cert_file),
            "key": str(key_file),
            "clientcas": [str(client_ca_file)],
        },
    }
    (tmp_path / "config.yml").write_text(json.dumps(config))
    proc = start_process(
        "docker-registry (mTLS)",
        [REGISTRY_BINARY, "serve", str(tmp_path / "config.yml")],
        log_path=tmp_path / "registry.log",
        ready=lambda: is_listening(port),
    )
    try:
        yield f"{LOCALHOST}:{port}", client_ca, server_ca.cert_pem
    finally:
        proc.stop()


def test_client_certificate_against_a_registry_that_requires_one(
    mtls_registry: tuple[str, certs.KeyPair, bytes],
) -> None:
    host, client_ca, server_ca_pem = mtls_registry
    leaf = certs.issue(client_ca, "scanner", server_auth=False)
    name = parse_repository(f"{host}/mtls/app")
    once = RetryPolicy(attempts=1)
    with_cert = ScanOptions(
        ca_pem=server_ca_pem, client_cert_pem=leaf.cert_pem, client_key_pem=leaf.key_pem, retry=once
    )
    without = ScanOptions(ca_pem=server_ca_pem, retry=once)

    async def list_with(options: ScanOptions) -> TagList:
        async with RegistryClient(host, options) as client:
            return await client.list_tags(name)

    # Nothing was pushed, so the repository is unknown: a 404 proves the handshake went
    # through; without the certificate the registry drops the connection instead.
    with pytest.raises(RegistryPermanentError, match="client certificate may be required"):
        asyncio.run(list_with(without))
    with pytest.raises(RegistryError, match="repository not found"):
        asyncio.run(list_with(with_cert))


class _ForwardProxy(BaseHTTPRequestHandler):
    """A minimal plain-HTTP forward proxy (no CONNECT) that records what it relayed."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Proxy-Authorization")))
        headers = {k: v for k, v in self.headers.items() if not k.lower().startswith("proxy-")}
        upstream = httpx.get(self.path, headers=headers)
        self.send_response(upstream.status_code)
        for key in ("Content-Type", "WWW-Authenticate", "Docker-Content-Digest"):
            if key in upstream.headers:
                self.send_header(key, upstream.headers[key])
        self.send_header("Content-Length", str(len(upstream.content)))
        self.end_headers()
        self.wfile.write(upstream.content)

    def do_CONNECT(self) -> None:
        self.send_error(501)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_proxy_secret_routes_requests_through_the_proxy_with_its_credentials(
    registry: RegistryServer,
) -> None:
    repo = f"proxied/{uuid.uuid4().hex[:12]}"
    images.push_tags(registry, repo, ["1.0"])
    proxy = ThreadingHTTPServer((LOCALHOST, 0), _ForwardProxy)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    _ForwardProxy.seen.clear()
    try:
        address = f"http://{LOCALHOST}:{proxy.server_address[1]}"
        options = ScanOptions(insecure=True, proxy=ProxyConfig(address, "pu", "pp"))
        name = parse_repository(f"{registry.host}/{repo}")

        async def run() -> TagList:
            async with RegistryClient(registry.host, options) as client:
                return await client.list_tags(name)

        assert asyncio.run(run()).tags == ["1.0"]
    finally:
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)
    expected_auth = "Basic " + base64.b64encode(b"pu:pp").decode()
    assert (f"{registry.url}/v2/{repo}/tags/list", expected_auth) in _ForwardProxy.seen
