"""Local stand-ins for cloud identity endpoints, and cloud registry host names on 127.0.0.1.

Nothing outside this machine is reachable, so each server follows the public reference of
the real endpoint, request and response alike:

- ``moto_server``: moto's server mode, a real AWS API emulator (ECR GetAuthorizationToken).
- ``GcpMetadataServer``: ``GET /computeMetadata/v1/instance/service-accounts/default/token``
  with ``Metadata-Flavor: Google`` -> ``{"access_token","expires_in","token_type"}`` and the
  ``Metadata-Flavor: Google`` response header; 403 without the request header
  (cloud.google.com/compute/docs/access/authenticate-workloads, .../metadata/querying-metadata).
- ``EntraServer``: ``POST /<tenant>/oauth2/v2.0/token`` client-credentials grant with a client
  secret or a JWT client assertion -> ``{"token_type","expires_in","access_token"}``
  (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
- ``AcrFront``: a registry front that answers ACR's ``POST /oauth2/exchange``
  (github.com/Azure/acr docs/AAD-OAuth.md: form ``grant_type=access_token``, ``service``,
  ``tenant``, ``access_token`` -> ``{"refresh_token"}``) and passes every other request to a
  rig registry, as ACR's single host serves both.
- ``resolve_to_localhost``: makes chosen host names resolve to 127.0.0.1 (a test's /etc/hosts),
  so a client really connects to ``<account>.dkr.ecr.<region>.amazonaws.com:<port>``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.rig.ports import LOCALHOST, free_port, is_listening
from tests.rig.procs import ManagedProcess, start_process


@contextlib.contextmanager
def moto_server(workdir: Path) -> Iterator[str]:
    """Run ``moto_server`` on a free port; yields its endpoint URL."""
    binary = shutil.which("moto_server") or str(Path(__file__).parents[2] / ".venv/bin/moto_server")
    port = free_port()
    proc: ManagedProcess = start_process(
        "moto_server",
        [binary, "-H", LOCALHOST, "-p", str(port)],
        log_path=workdir / "moto.log",
        ready=lambda: is_listening(port),
        timeout=30.0,
    )
    try:
        yield f"http://{LOCALHOST}:{port}"
    finally:
        proc.stop()


@contextlib.contextmanager
def resolve_to_localhost(suffixes: tuple[str, ...]) -> Iterator[None]:
    """Host names ending in ``suffixes`` resolve to 127.0.0.1 while the block runs."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str) and name.lower().endswith(suffixes):
            host = LOCALHOST
        return real(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.getaddrinfo = real


@dataclass
class _Server:
    """A stdlib HTTP server on 127.0.0.1 in a thread, recording each request it answers."""

    handle: Callable[[BaseHTTPRequestHandler, str, bytes], tuple[int, dict[str, str], bytes]]
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer((LOCALHOST, 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(owner: _Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            owner.requests.append((method, self.path, headers, body))
            status, out_headers, payload = owner.handle(self, method, body)
            self.send_response(status)
            for name, value in out_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(payload)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_HEAD(self) -> None:
            self._serve("HEAD")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _json(status: int, doc: dict[str, Any], **headers: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json", **headers}, json.dumps(doc).encode()


class GcpMetadataServer:
    """The GCE metadata server's token endpoint. ``expires_in`` is settable; tokens are new
    on every request (as the real server's are after it refreshes)."""

    TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"

    def __init__(self, expires_in: int = 3599) -> None:
        self.expires_in = expires_in
        self.hostile_body: bytes | None = None  # sent instead of a token, to test the caps
        self.tokens: list[str] = []
        self._server = _Server(self._handle)

    @property
    def host(self) -> str:
        return f"{LOCALHOST}:{self._server.port}"

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str], bytes]]:
        return self._server.requests

    def _handle(
        self, request: BaseHTTPRequestHandler, method: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        flavor = {"Metadata-Flavor": "Google"}
        if request.headers.get("Metadata-Flavor") != "Google":
            return 403, {"Content-Type": "text/html", **flavor}, b"Missing Metadata-Flavor:Google"
        if method != "GET" or urlsplit(request.path).path != self.TOKEN_PATH:
            return 404, {"Content-Type": "text/html", **flavor}, b"Not Found"
        if self.hostile_body is not None:
            return 200, {"Content-Type": "application/json", **flavor}, self.hostile_body
        token = "ya29." + secrets.token_urlsafe(32)
        self.tokens.append(token)
        doc = {"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"}
        return _json(200, doc, **flavor)

    def stop(self) -> None:
        self._server.stop()


def _jwt(claims: dict[str, Any]) -> str:
    """An unsigned-looking JWT shape (ACR's refresh tokens are JWTs with an ``exp``)."""

    def part(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.{secrets.token_urlsafe(16)}"


class EntraServer:
    """Microsoft Entra ID's v2.0 token endpoint for the client-credentials grant."""

    def __init__(self, tenant: str, client_id: str, *, secret: str = "", assertion: str = ""):
        self.tenant, self.client_id = tenant, client_id
        self.secret, self.assertion = secret, assertion
        self.issued: list[str] = []
        self._server = _Server(self._handle)

    @property
    def authority(self) -> str:
        return f"http://{LOCALHOST}:{self._server.port}/"

    def _handle(
        self, request: BaseHTTPRequestHandler, method: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if method != "POST" or request.path != f"/{self.tenant}/oauth2/v2.0/token":
            return _json(404, {"error": "invalid_request"})
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "client_credentials" or not form.get("scope"):
            return _json(400, {"error": "unsupported_grant_type"})
        if form.get("client_id") != self.client_id:
            return _json(400, {"error": "unauthorized_client"})
        by_secret = bool(self.secret) and form.get("client_secret") == self.secret
        by_assertion = (
            bool(self.assertion)
            and form.get("client_assertion") == self.assertion
            and form.get("client_assertion_type")
            == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        )
        if not (by_secret or by_assertion):
            return _json(401, {"error": "invalid_client"})
        token = _jwt({"aud": form["scope"].removesuffix("/.default"), "tid": self.tenant})
        self.issued.append(token)
        return _json(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token})

    def stop(self) -> None:
        self._server.stop()


class AcrFront:
    """ACR's host: ``/oauth2/exchange`` here, everything else relayed to ``upstream``.

    An exchanged refresh token becomes a password for ``ACR_USER`` at ``on_refresh_token``
    (the rig's token issuer), so the registry then accepts it as ACR does.
    """

    ACR_USER = "00000000-0000-0000-0000-000000000000"

    def __init__(
        self,
        upstream: str,
        accept: Callable[[str], bool],
        on_refresh_token: Callable[[str], None],
        lifetime: int = 3 * 3600,
    ) -> None:
        self.upstream, self.accept, self.on_refresh_token = upstream, accept, on_refresh_token
        self.lifetime = lifetime
        self.exchanges: list[dict[str, str]] = []
        self._http = httpx.Client(base_url=upstream, trust_env=False, timeout=30.0)
        self._server = _Server(self._handle)

    @property
    def port(self) -> int:
        return self._server.port

    def _handle(
        self, request: BaseHTTPRequestHandler, method: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if request.path == "/oauth2/exchange":
            return self._exchange(request, method, body)
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        reply = self._http.request(method, request.path, headers=headers, content=body)
        keep = ("content-type", "www-authenticate", "docker-content-digest", "link", "location")
        out = {k: v for k, v in reply.headers.items() if k.lower() in keep}
        out["Docker-Distribution-Api-Version"] = "registry/2.0"
        return reply.status_code, out, reply.content

    def _exchange(
        self, request: BaseHTTPRequestHandler, method: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        content_type = request.headers.get("Content-Type", "")
        if method != "POST" or not content_type.startswith("application/x-www-form-urlencoded"):
            return _json(400, {"errors": [{"code": "UNSUPPORTED"}]})
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        self.exchanges.append(form)
        if form.get("grant_type") != "access_token" or not form.get("service"):
            return _json(400, {"errors": [{"code": "UNSUPPORTED_GRANT"}]})
        if not self.accept(form.get("access_token", "")):
            return _json(401, {"errors": [{"code": "UNAUTHORIZED"}]})
        refresh = _jwt({"exp": int(time.time()) + self.lifetime, "grant_type": "refresh_token"})
        self.on_refresh_token(refresh)
        return _json(200, {"refresh_token": refresh})

    def stop(self) -> None:
        self._server.stop()
        self._http.close()


class AzureImds:
    """Azure's instance metadata service, managed identity token endpoint:
    ``GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...`` with header
    ``Metadata: true`` -> ``{"access_token","expires_in","expires_on","resource","token_type"}``
    (numbers as strings, as IMDS sends them); 400 without the header."""

    def __init__(self) -> None:
        self.issued: list[str] = []
        self._server = _Server(self._handle)

    @property
    def host(self) -> str:
        return f"http://{LOCALHOST}:{self._server.port}"

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str], bytes]]:
        return self._server.requests

    def _handle(
        self, request: BaseHTTPRequestHandler, method: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(request.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if request.headers.get("Metadata") != "true":
            return _json(400, {"error": "invalid_request", "error_description": "Metadata"})
        if url.path != "/metadata/identity/oauth2/token" or "resource" not in query:
            return _json(400, {"error": "invalid_request"})
        if query.get("api-version") != "2018-02-01":
            return _json(400, {"error": "invalid_request", "error_description": "api-version"})
        token = _jwt({"aud": query["resource"].rstrip("/")})
        self.issued.append(token)
        expires_on = str(int(time.time()) + 86399)
        doc = {
            "access_token": token,
            "expires_in": "86399",
            "expires_on": expires_on,
            "resource": query["resource"],
            "token_type": "Bearer",
        }
        return _json(200, doc)

    def stop(self) -> None:
        self._server.stop()


class GoogleTokenServer:
    """Google's OAuth 2.0 token endpoint (``POST /token``) for the two ADC file grants:
    ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` with an RS256 ``assertion``
    whose ``iss`` is the service account, ``aud`` this endpoint and ``scope`` given, checked
    against the account's public key; and ``grant_type=refresh_token`` with client id, secret
    and refresh token. Answers ``{"access_token","expires_in","token_type"}``, errors as
    ``{"error": "invalid_grant"}`` with 400 (developers.google.com/identity/protocols/oauth2)."""

    def __init__(self, public_key: Any, email: str, refresh: tuple[str, str, str]) -> None:
        self.public_key, self.email, self.refresh = public_key, email, refresh
        self.issued: list[str] = []
        self.grants: list[str] = []
        self._server = _Server(self._handle)

    @property
    def token_uri(self) -> str:
        return f"http://{LOCALHOST}:{self._server.port}/token"

    def _assertion_ok(self, assertion: str) -> bool:
        def unb64(text: str) -> bytes:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

        try:
            head, body, sig = assertion.split(".")
            self.public_key.verify(
                unb64(sig), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
            claims = json.loads(unb64(body))
        except (ValueError, InvalidSignature):
            return False
        now = time.time()
        return (
            json.loads(unb64(head)).get("alg") == "RS256"
            and claims.get("iss") == self.email
            and claims.get("aud") == self.token_uri
            and bool(claims.get("scope"))
            and claims.get("iat", 0) <= now + 60 < claims.get("exp", 0) + 60
        )

    def _handle(
        self, request: BaseHTTPRequestHandler, method: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if method != "POST" or request.path != "/token":
            return _json(404, {"error": "not_found"})
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        grant = form.get("grant_type", "")
        self.grants.append(grant)
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            ok = self._assertion_ok(form.get("assertion", ""))
        elif grant == "refresh_token":
            ok = (form.get("client_id"), form.get("client_secret"), form.get("refresh_token")) == (
                self.refresh
            )
        else:
            return _json(400, {"error": "unsupported_grant_type"})
        if not ok:
            return _json(400, {"error": "invalid_grant"})
        token = "ya29." + secrets.token_urlsafe(24)
        self.issued.append(token)
        return _json(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def stop(self) -> None:
        self._server.stop()
