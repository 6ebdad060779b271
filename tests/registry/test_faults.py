"""Registry faults injected with MockTransport: pagination, retries, garbage, bad tags."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import tracemalloc

import httpx
import pytest

from automation.errors import RegistryPermanentError, RegistryTransientError
from automation.registry import Credentials, CredentialSources, ScanOptions
from automation.registry.auth import AuthFailedError
from automation.registry.bodies import BodyTooLargeError
from automation.registry.digests import InvalidReferenceError
from automation.registry.faults import RegistryDataError, RepositoryNotFoundError
from automation.registry.limits import RetryPolicy
from tests.registry.mock_registry import HOST, Handler, image, mock_client, tags_body

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DIGEST_B = "sha256:" + "b" * 64
BASIC = "Basic " + base64.b64encode(b"alice:s3cret").decode()


def paged(pages: list[list[str]], links: list[str]) -> Handler:
    """Serve `pages[i]` with `links[i]` as next link; page index from the `page` query."""

    def handler(request: httpx.Request) -> httpx.Response:
        index = int(request.url.params.get("page", "0"))
        headers = {"Link": f'<{links[index]}>; rel="next"'} if links[index] else {}
        return httpx.Response(200, content=tags_body(pages[index]), headers=headers)

    return handler


def test_pagination_follows_relative_and_absolute_links_keeping_the_port() -> None:
    pages = [["a1", "a2"], ["b1"], ["c1", "c2"]]
    links = [
        "/v2/team/app/tags/list?page=1&n=2",
        f"https://{HOST}:5443/v2/team/app/tags/list?page=2&n=2",
        "",
    ]
    client, recorder, _ = mock_client(paged(pages, links), host=f"{HOST}:5443")
    result = asyncio.run(client.list_tags(image(host=f"{HOST}:5443")))
    assert result.tags == ["a1", "a2", "b1", "c1", "c2"]
    urls = [str(r.url) for r in recorder.api_requests()]
    assert urls == [
        f"https://{HOST}:5443/v2/team/app/tags/list",
        f"https://{HOST}:5443/v2/team/app/tags/list?page=1&n=2",
        f"https://{HOST}:5443/v2/team/app/tags/list?page=2&n=2",
    ]


def test_page_size_is_sent_as_n() -> None:
    client, recorder, _ = mock_client(paged([["a"]], [""]), ScanOptions(rate=None, page_size=250))
    asyncio.run(client.list_tags(image()))
    assert recorder.api_requests()[0].url.params["n"] == "250"


def test_link_to_another_host_goes_without_credentials() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "mirror.test":
            return httpx.Response(200, content=tags_body(["b"]))
        if request.headers.get("Authorization") != BASIC:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        link = '<https://mirror.test/v2/team/app/tags/list?last=a>; rel="next"'
        return httpx.Response(200, content=tags_body(["a"]), headers={"Link": link})

    creds = CredentialSources(explicit=Credentials("alice", "s3cret"))
    client, recorder, _ = mock_client(handler, ScanOptions(rate=None, credentials=creds))
    result = asyncio.run(client.list_tags(image()))
    assert result.tags == ["a", "b"]
    by_host = {r.url.host: r.headers.get("Authorization") for r in recorder.api_requests()}
    assert by_host == {HOST: BASIC, "mirror.test": None}


def test_link_downgrading_to_plain_http_is_refused() -> None:
    handler = paged([["a"], ["b"]], [f"http://{HOST}/v2/team/app/tags/list?page=1", ""])
    client, _, _ = mock_client(handler)
    with pytest.raises(RegistryDataError, match="plain-HTTP"):
        asyncio.run(client.list_tags(image()))


def test_pagination_loop_is_an_error_not_a_hang() -> None:
    handler = paged([["a"]], ["/v2/team/app/tags/list"])
    client, _, _ = mock_client(handler)
    with pytest.raises(RegistryDataError, match="repeats a page"):
        asyncio.run(client.list_tags(image()))


def test_429_honours_retry_after_then_succeeds() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"})])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, httpx.Response(200, content=tags_body(["v1"])))

    client, recorder, sleep = mock_client(handler)
    assert asyncio.run(client.list_tags(image())).tags == ["v1"]
    assert sleep.delays == [7.0]
    assert len(recorder.api_requests()) == 2


def test_500_then_success_backs_off_exponentially_with_jitter() -> None:
    answers = iter([httpx.Response(500), httpx.Response(502)])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, httpx.Response(200, content=tags_body(["v1"])))

    client, _, sleep = mock_client(handler)
    assert asyncio.run(client.list_tags(image())).tags == ["v1"]
    base = RetryPolicy().base_delay
    assert len(sleep.delays) == 2
    assert base / 2 <= sleep.delays[0] <= base
    assert base <= sleep.delays[1] <= 2 * base


def test_persistent_503_gives_up_with_a_transient_error_naming_the_status() -> None:
    client, recorder, sleep = mock_client(lambda r: httpx.Response(503))
    with pytest.raises(RegistryTransientError) as caught:
        asyncio.run(client.list_tags(image()))
    assert caught.value.status == 503
    assert str(caught.value).startswith(f"{HOST}/team/app: list tags")
    assert len(recorder.api_requests()) == RetryPolicy().attempts
    assert len(sleep.delays) == RetryPolicy().attempts - 1


def test_connection_errors_and_timeouts_are_retried() -> None:
    faults: list[Exception] = [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        if faults:
            raise faults.pop(0)
        return httpx.Response(200, content=tags_body(["v1"]))

    client, _, sleep = mock_client(handler)
    assert asyncio.run(client.list_tags(image())).tags == ["v1"]
    assert len(sleep.delays) == 2


def test_timeout_after_all_attempts_is_transient_and_chained() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    client, _, _ = mock_client(handler)
    with pytest.raises(RegistryTransientError, match="read timed out") as caught:
        asyncio.run(client.list_tags(image()))
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>502 Bad Gateway</html>", "not JSON"),
        (b'{"name": "team/app", "tags": ["a", "b"', "not JSON"),
        (b"", "empty body"),
        (b'["a", "b"]', "expected a JSON object"),
        (b'{"tags": "a,b"}', "'tags' is str"),
    ],
)
def test_garbage_bodies_give_a_clear_error(body: bytes, message: str) -> None:
    client, _, _ = mock_client(lambda r: httpx.Response(200, content=body))
    with pytest.raises(RegistryDataError, match=message):
        asyncio.run(client.list_tags(image()))


def test_null_tags_is_an_empty_repository() -> None:
    client, _, _ = mock_client(lambda r: httpx.Response(200, json={"name": "x", "tags": None}))
    assert asyncio.run(client.list_tags(image())).tags == []


def test_invalid_tag_names_are_dropped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    raw = ["1.0", "-bad", "x" * 129, "a/b", "ok_2", 7, None, "v1\n", "$(rm -rf /)", "ü"]
    client, _, _ = mock_client(lambda r: httpx.Response(200, content=tags_body(raw)))
    with caplog.at_level(logging.WARNING):
        result = asyncio.run(client.list_tags(image()))
    assert result.tags == ["1.0", "ok_2"]
    assert result.dropped == 8
    assert "dropped 8 tag(s)" in caplog.text


def test_truncated_body_is_retried_then_reported() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    client, _, _ = mock_client(handler)
    with pytest.raises(RegistryTransientError, match="RemoteProtocolError"):
        asyncio.run(client.list_tags(image()))


def test_page_over_the_cap_is_refused_before_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("automation.registry.client.PAGE_BODY_CAP", 1000)
    client, _, sleep = mock_client(lambda r: httpx.Response(200, content=tags_body(["a"] * 500)))
    with pytest.raises(BodyTooLargeError, match="1000-byte limit"):
        asyncio.run(client.list_tags(image()))
    assert sleep.delays == []  # a page that is too big will not shrink on retry


def test_100k_tags_across_pages() -> None:
    all_tags = [f"1.{i // 1000}.{i % 1000}" for i in range(100_000)]
    size = 10_000

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("last", "0"))
        chunk = all_tags[start : start + size]
        headers = {}
        if start + size < len(all_tags):
            headers["Link"] = f'</v2/team/app/tags/list?n={size}&last={start + size}>; rel="next"'
        return httpx.Response(200, content=tags_body(chunk), headers=headers)

    client, recorder, _ = mock_client(handler)
    tracemalloc.start()
    try:
        result = asyncio.run(client.list_tags(image()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(result.tags) == 100_000 and result.tags[-1] == "1.99.999"
    assert len(recorder.api_requests()) == 10
    assert peak < 24 << 20  # page bodies are dropped as we go (measured: about 9 MB)


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (404, RepositoryNotFoundError, "repository not found [NAME_UNKNOWN] (HTTP 404)"),
        (403, AuthFailedError, "access denied"),
        (400, RegistryPermanentError, "request rejected"),
    ],
)
def test_permanent_statuses_are_not_retried(status: int, error: type[Exception], text: str) -> None:
    body = json.dumps({"errors": [{"code": "NAME_UNKNOWN", "message": "x"}]}).encode()
    client, recorder, sleep = mock_client(lambda r: httpx.Response(status, content=body))
    with pytest.raises(error) as caught:
        asyncio.run(client.list_tags(image()))
    assert text in str(caught.value)
    assert isinstance(caught.value, RegistryPermanentError)
    assert len(recorder.api_requests()) == 1 and sleep.delays == []


def test_401_with_wrong_credentials_is_permanent_and_never_shows_the_password() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})

    creds = CredentialSources(explicit=Credentials("alice", "s3cret"))
    client, recorder, _ = mock_client(handler, ScanOptions(rate=None, credentials=creds))
    with pytest.raises(AuthFailedError) as caught:
        asyncio.run(client.list_tags(image()))
    assert "s3cret" not in str(caught.value) and "alice" not in str(caught.value)
    assert recorder.api_auth() == [None, BASIC]  # anonymous first, credentials once


MANIFEST = b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json"}'


@pytest.mark.parametrize("header", [None, "sha256:NOT-HEX", "sha256:" + "A" * 64, "md5:abc"])
def test_missing_or_malformed_digest_header_falls_back_to_get_and_hashes_the_body(
    header: str | None,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Docker-Content-Digest": header} if header else {}
        if request.method == "HEAD":
            return httpx.Response(200, headers=headers)
        return httpx.Response(200, content=MANIFEST, headers={"Content-Type": OCI_INDEX})

    client, recorder, _ = mock_client(handler)
    digest = asyncio.run(client.resolve_digest(image(), "v1"))
    assert digest == "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
    assert [r.method for r in recorder.api_requests()] == ["HEAD", "GET"]


def test_manifest_body_contradicting_its_digest_header_is_rejected() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=MANIFEST, headers={"Docker-Content-Digest": DIGEST_B})

    client, _, _ = mock_client(handler)
    with pytest.raises(RegistryDataError, match="does not match its digest"):
        asyncio.run(client.fetch_manifest(image(), "v1"))


def test_head_not_allowed_falls_back_to_get() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD":
            return httpx.Response(405)
        return httpx.Response(200, content=MANIFEST)

    client, _, _ = mock_client(handler)
    expected = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
    assert asyncio.run(client.resolve_digest(image(), "v1")) == expected


@pytest.mark.parametrize("tag", ["-bad", "a/../../b", "x" * 200])
def test_resolving_an_invalid_tag_sends_nothing(tag: str) -> None:
    client, recorder, _ = mock_client(lambda r: httpx.Response(200))
    with pytest.raises(InvalidReferenceError, match="neither a valid tag nor a digest"):
        asyncio.run(client.resolve_digest(image(), tag))
    assert recorder.api_requests() == []


def test_redirect_to_another_host_goes_without_credentials() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "cdn.test":
            return httpx.Response(200, content=tags_body(["v1"]))
        if request.headers.get("Authorization") != BASIC:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
        return httpx.Response(307, headers={"Location": "https://cdn.test/list"})

    creds = CredentialSources(explicit=Credentials("alice", "s3cret"))
    client, recorder, _ = mock_client(handler, ScanOptions(rate=None, credentials=creds))
    assert asyncio.run(client.list_tags(image())).tags == ["v1"]
    assert recorder.sent_auth[-2:] == [("/v2/team/app/tags/list", BASIC), ("/list", None)]
