"""Linear-time, size-capped parsing of `WWW-Authenticate` and `Link` from a hostile registry."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest

from automation.errors import AutomationError
from automation.registry import ScanOptions, scan_repository
from automation.registry.faults import RegistryDataError
from automation.registry.headers import (
    MAX_CHALLENGE_BYTES,
    MAX_LINK_BYTES,
    HeaderTooLargeError,
    next_link,
    parse_challenge,
)
from automation.registry.pages import next_page_url
from tests.registry.mock_registry import image, mock_client, tags_body

# Inputs that made the former backtracking regular expressions quadratic.
HOSTILE_LINKS = ["<" * 7000, "<a>;" + ";" * 7000, "<a>; rel" + " " * 7000 + "x"]
HOSTILE_CHALLENGES = ["Bearer " + "a" * 4000, "Bearer " + "a=" * 2000, 'Bearer a="' + "\\" * 4000]
BUDGET = 0.05  # seconds for one parse; the former parsers took seconds


def _timed(parse: object, *args: object) -> float:
    """The best of three parses: a busy machine may pause one run, never all three."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        with contextlib.suppress(HeaderTooLargeError):
            parse(*args)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("value", HOSTILE_LINKS)
def test_hostile_link_under_the_cap_parses_in_linear_time(value: str) -> None:
    assert len(value) <= MAX_LINK_BYTES
    assert _timed(next_link, [value]) < BUDGET


@pytest.mark.parametrize("value", HOSTILE_CHALLENGES)
def test_hostile_challenge_under_the_cap_parses_in_linear_time(value: str) -> None:
    assert len(value) <= MAX_CHALLENGE_BYTES
    assert _timed(parse_challenge, value) < BUDGET


def test_oversized_headers_are_refused_before_parsing() -> None:
    with pytest.raises(HeaderTooLargeError):
        next_link(["<" * 60_000])
    with pytest.raises(HeaderTooLargeError):
        parse_challenge("Bearer " + "a" * 60_000)


@pytest.mark.parametrize(
    ("value", "target"),
    [
        ('</v2/x/tags/list?last=b&n=2>; rel="next"', "/v2/x/tags/list?last=b&n=2"),
        ("</a>; rel=prev, </b>; rel=next", "/b"),
        ('</a>; title="x, rel=next"; rel="prev", </c>; rel="first next"', "/c"),
        ("</a>; REL = NEXT", "/a"),
        ('</a>; rel="prev"', None),
        ("garbage", None),
        ("", None),
    ],
)
def test_next_link(value: str, target: str | None) -> None:
    assert next_link([value]) == target


def test_challenge_parameters_quoted_escaped_and_bare() -> None:
    challenge = parse_challenge(
        'Bearer realm="https://a/t?x=1,2", service=reg, scope="repo:a:pull,push",'
        ' error="say \\"no\\"", Basic realm="other"'
    )
    assert challenge is not None and challenge.scheme == "bearer"
    assert challenge.params == {
        "realm": "https://a/t?x=1,2",
        "service": "reg",
        "scope": "repo:a:pull,push",
        "error": 'say "no"',
    }


def test_a_huge_link_header_is_a_data_error_for_that_repository() -> None:
    headers = httpx.Headers({"Link": "<" * 60_000})
    start = time.perf_counter()
    with pytest.raises(RegistryDataError, match="Link header"):
        next_page_url(
            httpx.URL("https://reg.test/v2/x/tags/list"),
            headers,
            False,
            registry="reg.test",
            repository="x",
        )
    assert time.perf_counter() - start < BUDGET


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("Link", "<" * 60_000, "Link header over"),
        ("Link", "<a>; rel" + " " * 8000, ""),  # under the cap: parsed, no next page
        ("WWW-Authenticate", "Bearer " + "a" * 60_000, "authentication failed"),
    ],
)
def test_a_scan_against_hostile_headers_ends_fast(name: str, value: str, error: str) -> None:
    """The scan timeout cannot interrupt a parser that holds the event loop: the parse must
    itself be fast, well inside the 2 s timeout given here."""

    def handler(request: httpx.Request) -> httpx.Response:
        if name == "WWW-Authenticate":
            return httpx.Response(401, headers={name: value})
        return httpx.Response(200, headers={name: value}, content=tags_body(["v1"]))

    client, _, _ = mock_client(handler, ScanOptions(rate=None, timeout=2.0))

    async def run() -> str:
        async with client:
            try:
                await scan_repository(client, image())
            except AutomationError as err:
                return str(err)
        return ""

    start = time.perf_counter()
    message = asyncio.run(run())
    assert time.perf_counter() - start < 0.5
    assert error in message if error else message == ""
