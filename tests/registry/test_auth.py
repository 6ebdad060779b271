"""The auth flow: challenges, token cache and expiry, one token per scope, host binding."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pytest

from automation.registry import Credentials, CredentialSources, RegistryClient, ScanOptions
from automation.registry.auth import (
    AuthFailedError,
    RegistryAuth,
    parse_challenge,
    scope_for_path,
)
from automation.registry.bodies import BodyTooLargeError, UnwantedEncodingError
from automation.registry.digests import ACCEPT_MANIFESTS
from automation.registry.limits import RetryPolicy
from tests.registry.mock_registry import HOST, image, mock_client, tags_body
from tests.rig.ports import LOCALHOST
from tests.rig.registry import RegistryServer

REALM = "https://auth.test/token"
CHALLENGE = f'Bearer realm="{REALM}",service="reg.test",scope="repository:team/app:pull"'
DIGEST = "sha256:" + "ab" * 32


def test_parse_challenge_keeps_commas_inside_quotes() -> None:
    header = 'Bearer realm="https://a/token",service="reg",scope="repository:x/y:pull,push"'
    challenge = parse_challenge(header)
    assert challenge is not None
    assert challenge.scheme == "bearer"
    assert challenge.params == {
        "realm": "https://a/token",
        "service": "reg",
        "scope": "repository:x/y:pull,push",
    }
    basic = parse_challenge('Basic realm="Registry Realm"')
    assert basic is not None and basic.scheme == "basic"
    assert parse_challenge("") is None


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        ("/v2/team/app/tags/list", "repository:team/app:pull"),
        ("/v2/library/alpine/manifests/3.19", "repository:library/alpine:pull"),
        ("/v2/a/b/c/manifests/sha256:" + "0" * 64, "repository:a/b/c:pull"),
        ("/v2/team/app/referrers/sha256:" + "0" * 64, "repository:team/app:pull"),
        ("/v2/", ""),
    ],
)
def test_scope_for_path(path: str, scope: str) -> None:
    assert scope_for_path(path) == scope


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _step_bearer_flow(auth: RegistryAuth) -> list[tuple[httpx.Request, str | None]]:
    """Drive one request through the flow by hand, answering as a token registry would.

    Returns each yielded request with its Authorization header as it was at that moment.
    """
    flow = auth.async_auth_flow(httpx.Request("GET", f"https://{HOST}/v2/team/app/tags/list"))
    sent = [await flow.__anext__()]
    seen = [sent[0].headers.get("Authorization")]
    for answer in (
        httpx.Response(401, headers={"WWW-Authenticate": CHALLENGE}),
        httpx.Response(200, json={"token": "T1", "expires_in": 300}),
    ):
        answer.request = sent[-1]  # as httpx does: the answer knows the request it answers
        sent.append(await flow.asend(answer))
        seen.append(sent[-1].headers.get("Authorization"))
    with pytest.raises(StopAsyncIteration):
        await flow.asend(httpx.Response(200, request=sent[-1]))
    return list(zip(sent, seen, strict=True))


def test_bearer_flow_stepped_by_hand_with_basic_credentials_to_the_realm() -> None:
    auth = RegistryAuth(f"https://{HOST}", Credentials("alice", "pw"), clock=Clock())
    (_, first_auth), (token_request, token_auth), (_, retried_auth) = asyncio.run(
        _step_bearer_flow(auth)
    )
    assert first_auth is None  # the challenge is not known yet: anonymous first
    assert str(token_request.url).startswith(REALM)
    assert parse_qs(token_request.url.query.decode()) == {
        "service": ["reg.test"],
        "scope": ["repository:team/app:pull"],
    }
    assert token_auth == "Basic " + base64.b64encode(b"alice:pw").decode()
    assert retried_auth == "Bearer T1"


def test_cached_token_is_reused_until_it_expires() -> None:
    clock = Clock()
    auth = RegistryAuth(f"https://{HOST}", None, clock=clock)
    asyncio.run(_step_bearer_flow(auth))
    assert auth.cached_token("repository:team/app:pull") == "T1"
    clock.now += 300 - 11  # expiry keeps a 10 s margin
    assert auth.cached_token("repository:team/app:pull") == "T1"
    clock.now += 2
    assert auth.cached_token("repository:team/app:pull") is None


def test_anonymous_token_request_carries_no_authorization() -> None:
    auth = RegistryAuth(f"https://{HOST}", None, clock=Clock())
    _, (_, token_auth), _ = asyncio.run(_step_bearer_flow(auth))
    assert token_auth is None


def test_credentials_are_not_sent_to_a_plain_http_realm_of_an_https_registry() -> None:
    auth = RegistryAuth(f"https://{HOST}", Credentials("alice", "pw"), clock=Clock())
    challenge = httpx.Headers({"WWW-Authenticate": 'Bearer realm="http://auth.test/token"'})
    auth.learn(challenge, httpx.URL(f"https://{HOST}/v2/"))

    async def run() -> None:
        flow = auth.async_auth_flow(httpx.Request("GET", f"https://{HOST}/v2/x/tags/list"))
        await flow.__anext__()

    with pytest.raises(AuthFailedError, match="plain HTTP"):
        asyncio.run(run())


def test_other_hosts_never_see_credentials_even_on_401() -> None:
    auth = RegistryAuth(f"https://{HOST}", Credentials("alice", "pw"), clock=Clock())

    async def run() -> list[httpx.Request]:
        flow = auth.async_auth_flow(httpx.Request("GET", "https://other.test/v2/x/tags/list"))
        first = await flow.__anext__()
        with pytest.raises(StopAsyncIteration):
            await flow.asend(httpx.Response(401, headers={"WWW-Authenticate": CHALLENGE}))
        return [first]

    (request,) = asyncio.run(run())
    assert "Authorization" not in request.headers


def test_identity_token_uses_the_oauth2_refresh_grant() -> None:
    auth = RegistryAuth(f"https://{HOST}", Credentials(identity_token="RT"), clock=Clock())
    _, (token_request, _), _ = asyncio.run(_step_bearer_flow(auth))
    assert token_request.method == "POST"
    form = parse_qs(token_request.content.decode())
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["RT"]


class TokenRegistry:
    """Registry + token service behind one MockTransport; counts tokens per scope."""

    def __init__(self, token_delay: float = 0.0) -> None:
        self.tokens: list[str] = []
        self.token_delay = token_delay

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            scope = request.url.params.get("scope", "")
            self.tokens.append(scope)
            await asyncio.sleep(self.token_delay)  # let the other tasks pile up on the lock
            return httpx.Response(200, json={"token": f"tok-{scope}", "expires_in": 300})
        scope = scope_for_path(request.url.path)
        if request.headers.get("Authorization") != f"Bearer tok-{scope}":
            challenge = f'Bearer realm="{REALM}",service="reg.test"'
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        if request.url.path.endswith("/tags/list"):
            return httpx.Response(200, content=tags_body(["v1"]))
        return httpx.Response(200, headers={"Docker-Content-Digest": DIGEST})


def test_cold_fan_out_of_50_requests_fetches_one_token() -> None:
    registry = TokenRegistry(token_delay=0.01)

    async def run() -> list[str]:
        client = RegistryClient(
            HOST, ScanOptions(rate=None), transport=httpx.MockTransport(registry)
        )
        async with client:
            return await asyncio.gather(
                *(client.resolve_digest(image(), f"v{i}") for i in range(50))
            )

    digests = asyncio.run(run())
    assert digests == [DIGEST] * 50
    assert registry.tokens == ["repository:team/app:pull"]


def test_one_token_per_repository_scope() -> None:
    registry = TokenRegistry()

    async def run() -> None:
        client = RegistryClient(
            HOST, ScanOptions(rate=None), transport=httpx.MockTransport(registry)
        )
        async with client:
            for path in ("team/app", "team/app", "team/other"):
                await client.list_tags(image(path))

    asyncio.run(run())
    assert registry.tokens == ["repository:team/app:pull", "repository:team/other:pull"]


def test_head_sends_all_four_manifest_media_types() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Accept"])
        return httpx.Response(200, headers={"Docker-Content-Digest": DIGEST})

    client, _, _ = mock_client(handler)
    assert asyncio.run(client.resolve_digest(image(), "v1")) == DIGEST
    accepted = {part.strip() for part in seen[0].split(",")}
    assert accepted == {part.strip() for part in ACCEPT_MANIFESTS["Accept"].split(",")}
    assert len(accepted) == 4


def test_static_registry_token_is_sent_as_bearer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers.get("Authorization") == "Bearer RTOK"
        return httpx.Response(200, content=tags_body(["v1"]))

    creds = CredentialSources(explicit=Credentials(registry_token="RTOK"))
    client, _, _ = mock_client(handler, ScanOptions(rate=None, credentials=creds))
    assert asyncio.run(client.list_tags(image())).tags == ["v1"]


def test_token_service_refusal_is_permanent_and_quiet_about_secrets() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return httpx.Response(401, content=json.dumps({"details": "bad"}).encode())
        return httpx.Response(401, headers={"WWW-Authenticate": CHALLENGE})

    creds = CredentialSources(explicit=Credentials("alice", "hunter2"))
    client, _, _ = mock_client(handler, ScanOptions(rate=None, credentials=creds))
    with pytest.raises(AuthFailedError, match="refused the credentials") as caught:
        asyncio.run(client.list_tags(image()))
    assert "hunter2" not in str(caught.value)


def test_a_redirect_targets_challenge_never_receives_the_registrys_credentials() -> None:
    """The registry redirects tags/list to another origin, which answers 401 naming its own
    realm: httpx follows the redirect inside one auth step, so the flow sees that 401."""
    seen: list[tuple[str, str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.url.path, request.headers.get("Authorization")))
        if request.url.host == HOST and request.url.path == "/v2/":
            return httpx.Response(200)
        if request.url.host == HOST:
            target = f"https://evil.test{request.url.path}"
            return httpx.Response(307, headers={"Location": target})
        if request.url.path == "/token":
            return httpx.Response(200, json={"token": "stolen"})
        challenge = 'Bearer realm="https://evil.test/token",service="evil"'
        return httpx.Response(401, headers={"WWW-Authenticate": challenge})

    creds = CredentialSources(explicit=Credentials("alice", "hunter2"))
    client = RegistryClient(
        HOST, ScanOptions(rate=None, credentials=creds), transport=httpx.MockTransport(handler)
    )

    async def run() -> None:
        async with client:
            await client.list_tags(image())

    with pytest.raises(AuthFailedError):
        asyncio.run(run())
    evil = [(path, auth) for host, path, auth in seen if host == "evil.test"]
    assert ("/token", None) not in evil and all(path != "/token" for path, _ in evil)
    assert all(auth is None for _, auth in evil)
    assert client.auth is not None and not client.auth.knows_bearer


def test_a_probe_redirected_to_another_origin_learns_no_challenge() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == HOST:
            return httpx.Response(302, headers={"Location": "https://evil.test/v2/"})
        challenge = 'Bearer realm="https://evil.test/token",service="evil"'
        return httpx.Response(401, headers={"WWW-Authenticate": challenge})

    creds = CredentialSources(explicit=Credentials("alice", "hunter2"))
    client = RegistryClient(
        HOST, ScanOptions(rate=None, credentials=creds), transport=httpx.MockTransport(handler)
    )

    async def run() -> None:
        async with client:
            await client.ready()

    asyncio.run(run())
    assert client.auth is not None and not client.auth.knows_bearer


def test_a_chunked_token_response_is_cut_off_at_the_cap() -> None:
    """No Content-Length: the cap must count what arrives (a 64 MiB body is never read)."""
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(64):
            pulled += 1
            yield b" " * (1 << 20)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return httpx.Response(200, content=endless())
        if request.url.path == "/v2/":
            return httpx.Response(200)
        return httpx.Response(401, headers={"WWW-Authenticate": CHALLENGE})

    client = RegistryClient(HOST, ScanOptions(rate=None), transport=httpx.MockTransport(handler))

    async def run() -> None:
        async with client:
            await client.list_tags(image())

    with pytest.raises(BodyTooLargeError, match="oversized"):
        asyncio.run(run())
    assert pulled <= 2


def test_a_compressed_token_response_is_refused_unread() -> None:
    bomb = gzip.compress(b" " * (8 << 20))  # 8 KiB that would inflate to 8 MiB

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            assert request.headers["Accept-Encoding"] == "identity"
            return httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"})
        if request.url.path == "/v2/":
            return httpx.Response(200)
        return httpx.Response(401, headers={"WWW-Authenticate": CHALLENGE})

    client = RegistryClient(HOST, ScanOptions(rate=None), transport=httpx.MockTransport(handler))

    async def run() -> None:
        async with client:
            await client.list_tags(image())

    with pytest.raises(UnwantedEncodingError):
        asyncio.run(run())


@contextlib.contextmanager
def redirecting_front(target: str) -> Iterator[str]:
    """A plain-HTTP registry origin that answers `/v2/` itself and redirects everything else
    to `target` (another origin): the shape of a compromised or hostile registry."""

    class Front(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/v2/":
                self.send_response(200)
                self.send_header("Content-Length", "0")
            else:
                self.send_response(307)
                self.send_header("Location", target + self.path)
                self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((LOCALHOST, 0), Front)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"{LOCALHOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_real_token_registry_behind_a_redirect_gets_no_foreign_credentials(
    registry_token: RegistryServer,
) -> None:
    """The redirect target is the real token registry: its 401 names the real token issuer.
    Our credentials are the front's; they must not reach that issuer."""
    assert registry_token.issuer is not None
    ca = registry_token.ca_file.read_bytes() if registry_token.ca_file else None
    creds = CredentialSources(explicit=Credentials("front-user", "front-secret"))
    options = ScanOptions(
        insecure=True,
        ca_pem=ca,
        credentials=creds,
        retry=RetryPolicy(attempts=1),
    )
    with redirecting_front(registry_token.url) as front:

        async def run() -> None:
            async with RegistryClient(front, options) as client:
                await client.list_tags(image("team/app", host=front))

        with pytest.raises(AuthFailedError):
            asyncio.run(run())
    assert [r for r in registry_token.issuer.requests if r.username == "front-user"] == []
