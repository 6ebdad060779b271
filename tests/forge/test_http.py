"""Hostile forge answers are bounded (httpx.MockTransport injects what a real forge will not
produce on demand), and the Link header parser follows RFC 8288's rel="next" only."""

from __future__ import annotations

import httpx
import pytest

from automation.forge import ForgeError, ForgeHttp, ForgeTransientError
from automation.forge.github import GitHub
from automation.forge.gitlab import GitLab
from automation.forge.http import MAX_BODY_BYTES, MAX_PAGES, next_link
from automation.forge.model import Call

BASE = "https://forge.example.com/api/v3"
LIST = Call("GET", "/repos/o/r/pulls", (200,))


def http(handler: httpx.MockTransport) -> ForgeHttp:
    return ForgeHttp(BASE, {"Authorization": "Bearer t0ken"}, transport=handler)


def test_next_link() -> None:
    header = '<https://a/x?page=1>; rel="prev", <https://a/x?page=3>; rel="next"'
    assert next_link(header) == "https://a/x?page=3"
    assert next_link('<https://a/x?page=1>; rel="last"') is None
    assert next_link("<" * 100_000) is None


def test_a_body_over_the_bound_is_refused() -> None:
    big = b"[" + b'"x",' * (MAX_BODY_BYTES // 4) + b'"x"]'
    client = http(httpx.MockTransport(lambda r: httpx.Response(200, content=big)))
    with pytest.raises(ForgeError, match="larger than"):
        client.pages(LIST)


def test_a_next_page_on_another_origin_is_not_followed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(
            200, json=[], headers={"Link": '<https://evil.example/steal>; rel="next"'}
        )

    with pytest.raises(ForgeError, match="another origin"):
        http(httpx.MockTransport(handler)).pages(LIST)
    assert seen == [BASE + "/repos/o/r/pulls"]


def test_endless_pages_stop_at_the_bound() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        link = f'<{BASE}/repos/o/r/pulls?page={page + 1}>; rel="next"'
        return httpx.Response(200, json=[{"number": page}], headers={"Link": link})

    with pytest.raises(ForgeError, match=f"more than {MAX_PAGES} pages"):
        http(httpx.MockTransport(handler)).pages(LIST)


@pytest.mark.parametrize(
    ("status", "headers", "transient"),
    [
        (500, {}, True),
        (429, {"retry-after": "60"}, True),
        (403, {"x-ratelimit-remaining": "0"}, True),
        (403, {"x-ratelimit-remaining": "10"}, False),
        (404, {}, False),
    ],
)
def test_rate_limits_and_server_errors_are_transient(
    status: int, headers: dict[str, str], transient: bool
) -> None:
    answer = httpx.Response(status, json={"message": "m" * 1000}, headers=headers)
    client = http(httpx.MockTransport(lambda r: answer))
    with pytest.raises(ForgeError) as err:
        client.send(LIST)
    assert isinstance(err.value, ForgeTransientError) is transient
    assert len(str(err.value)) < 300 and "t0ken" not in str(err.value)


def test_a_request_number_that_is_not_a_number_is_an_error() -> None:
    client = http(httpx.MockTransport(lambda r: httpx.Response(200, json=[{"number": "1; rm"}])))
    with pytest.raises(ForgeError, match="not a number"):
        GitHub(client, "o/r").open_requests("main")


def test_request_building_is_pure_and_uses_the_documented_shapes() -> None:
    gitlab = GitLab(http(httpx.MockTransport(lambda r: httpx.Response(500))), "group/sub/fleet")
    call = gitlab.list_call("main")
    assert call.path == "/api/v4/projects/group%2Fsub%2Ffleet/merge_requests"
    assert dict(call.params) == {"state": "opened", "target_branch": "main", "per_page": "100"}
    assert ForgeHttp("https://ghe.example.com/api/v3", {}).url("/../graphql") == (
        "https://ghe.example.com/api/graphql"
    )


def test_control_characters_in_answers_cannot_forge_log_lines() -> None:
    answer = [
        {
            "number": 1,
            "html_url": "https://x/1\nINFO fake line",
            "title": "t\r\x1b[31m",
            "body": "a\nb\x00",
            "head": {"ref": "b"},
            "base": {"ref": "main"},
        }
    ]
    client = http(httpx.MockTransport(lambda r: httpx.Response(200, json=answer)))
    [request] = GitHub(client, "o/r").open_requests("main")
    assert request.url == "https://x/1INFO fake line" and request.title == "t[31m"
    assert request.body == "a\nb"
