"""A token issuer for distribution's ``auth.token`` mode (the client side is ``bearer.py``).

``TokenIssuer`` is a small HTTP server (stdlib, one thread) on 127.0.0.1. ``GET /token?service=
&scope=...`` with right basic credentials returns ``{"token", "access_token", "expires_in",
"issued_at"}`` granting the requested actions; wrong credentials get 401; no credentials get an
anonymous token that grants nothing (as Docker Hub does for private repositories). The OAuth2
form (``POST /token``, grant_type password or refresh_token, client_id required) works too; a
refresh token from ``new_refresh_token`` is what docker calls an identity token. Tokens are
ES256 JWTs whose ``x5c`` header carries a signing certificate issued by a CA; the registry trusts
that CA through its ``rootcertbundle``. Every request is recorded so tests can count tokens per
scope.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.rig.certs import KeyPair
from tests.rig.ports import LOCALHOST

KNOWN_ACTIONS = frozenset({"pull", "push", "delete", "*"})


@dataclass(frozen=True)
class TokenRequest:
    """One request the issuer answered."""

    username: str | None  # None when the client sent no credentials
    service: str
    scopes: tuple[str, ...]
    granted: bool  # False when the credentials were wrong (401)
    grant: str = "basic"  # "basic", "anonymous", or the OAuth2 grant_type of a POST


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _es256(key: ec.EllipticCurvePrivateKey, message: bytes) -> bytes:
    # JOSE wants the raw r||s pair, not the DER that cryptography produces.
    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def parse_scope(scope: str) -> dict[str, Any] | None:
    """``repository:team/app:pull,push`` -> an access claim entry; None when malformed."""
    kind, sep, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not (sep and sep2 and kind and name):
        return None
    wanted = [a for a in actions.split(",") if a in KNOWN_ACTIONS]
    return {"type": kind, "name": name, "actions": wanted}


class TokenIssuer:
    """The token server. Start with ``start()`` (or ``with``), stop with ``stop()``."""

    def __init__(
        self,
        *,
        issuer: str,
        service: str,
        users: Mapping[str, str],
        signer: KeyPair,
        expires_in: int = 300,
    ) -> None:
        self.issuer_name = issuer
        self.service = service
        self.users = dict(users)
        self.expires_in = expires_in
        self._signer = signer
        self._lock = threading.Lock()
        self._requests: list[TokenRequest] = []
        self._refresh_tokens: dict[str, str] = {}
        self._server = ThreadingHTTPServer((LOCALHOST, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def realm(self) -> str:
        return f"http://{LOCALHOST}:{self._server.server_address[1]}/token"

    def start(self) -> TokenIssuer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port; also fine for an issuer that never started."""
        if self._thread.is_alive():
            self._server.shutdown()  # blocks forever unless serve_forever is running
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> TokenIssuer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def requests(self) -> list[TokenRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def issued(self) -> int:
        """How many tokens were handed out (anonymous ones included, 401s not)."""
        return sum(1 for r in self.requests if r.granted)

    @property
    def scopes(self) -> list[str]:
        """Every scope of every granted request, in order, repeats kept."""
        return [s for r in self.requests if r.granted for s in r.scopes]

    def count_for(self, scope: str) -> int:
        return self.scopes.count(scope)

    def mint(self, subject: str, access: list[dict[str, Any]], *, now: float | None = None) -> str:
        """A signed JWT for ``subject`` granting ``access`` (also handy for crafting tokens)."""
        issued_at = int(time.time() if now is None else now)
        header = {
            "typ": "JWT",
            "alg": "ES256",
            "x5c": [base64.b64encode(self._signer.cert_der).decode("ascii")],
        }
        claims = {
            "iss": self.issuer_name,
            "sub": subject,
            "aud": self.service,
            "exp": issued_at + self.expires_in,
            "nbf": issued_at - 1,
            "iat": issued_at,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        return signing_input + "." + _b64url(_es256(self._signer.key, signing_input.encode()))

    def new_refresh_token(self, username: str) -> str:
        """An OAuth2 refresh token (a docker "identity token") that stands for ``username``."""
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._refresh_tokens[token] = username
        return token

    def answer(self, authorization: str | None, query: str) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for ``GET /token?service=&scope=`` with optional basic auth."""
        params = parse_qs(query, keep_blank_values=True)
        username, password = _basic_credentials(authorization)
        known = username is not None and self._password_ok(username, password or "")
        request = TokenRequest(
            username,
            params.get("service", [self.service])[0],
            tuple(params.get("scope", [])),
            granted=username is None or known,
            grant="basic" if username is not None else "anonymous",
        )
        return self._respond(request, known)

    def answer_form(self, body: str) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for the OAuth2 ``POST /token`` (password or refresh_token grant)."""
        form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        grant = form.get("grant_type", "")
        if grant not in ("password", "refresh_token") or not form.get("client_id"):
            return 400, {"error": "unsupported_grant_type or missing client_id"}
        if grant == "password":
            username: str | None = form.get("username", "")
            known = self._password_ok(username or "", form.get("password", ""))
        else:
            with self._lock:
                username = self._refresh_tokens.get(form.get("refresh_token", ""))
            known = username is not None
        scopes = tuple(form.get("scope", "").split())
        service = form.get("service", self.service)
        request = TokenRequest(username, service, scopes, granted=known, grant=grant)
        status, answer = self._respond(request, known)
        if status == 200 and form.get("access_type") == "offline" and username is not None:
            answer["refresh_token"] = self.new_refresh_token(username)
        return status, answer

    def _password_ok(self, username: str, password: str) -> bool:
        return hmac.compare_digest(self.users.get(username, "\0"), password)

    def _respond(self, request: TokenRequest, known: bool) -> tuple[int, dict[str, Any]]:
        if request.service != self.service:
            return 400, _error("INVALID_REQUEST", f"unknown service {request.service!r}")
        with self._lock:
            self._requests.append(request)
        if not request.granted:
            return 401, _error("UNAUTHORIZED", "authentication required")
        scopes = request.scopes if known else ()
        token = self.mint(request.username or "", [a for a in map(parse_scope, scopes) if a])
        issued_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        body = {"token": token, "access_token": token, "expires_in": self.expires_in}
        return 200, body | {"issued_at": issued_at}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message}]}


def _basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    if not header or not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "", ""  # garbage counts as wrong credentials, not as anonymous
    username, _, password = decoded.partition(":")
    return username, password


def _handler_for(issuer: TokenIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/token":
                self._send(404, _error("NOT_FOUND", url.path))
                return
            self._send(*issuer.answer(self.headers.get("Authorization"), url.query))

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", errors="replace")
            if urlsplit(self.path).path != "/token":
                self._send(404, _error("NOT_FOUND", self.path))
                return
            self._send(*issuer.answer_form(body))

        def _send(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="token-issuer"')
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean; requests are recorded on the issuer

    return Handler
