"""The forge stage's HTTP I/O: one ``Call`` in, parsed JSON out, bounded and redacted.

In: the API base URL, the auth headers of the forge (built from the Secret's token), TLS
settings. Out: ``ForgeHttp.send(call)`` -> JSON value, ``pages(call)`` -> every page's items
following ``Link: <...>; rel="next"`` (RFC 8288; GitHub, GitLab and Gitea all send it).

Hostile answers are bounded: a body over ``MAX_BODY_BYTES`` or more than ``MAX_PAGES`` pages
is an error, a next link to another origin is not followed (the token would go with it),
and error text quotes at most 200 characters of the forge's ``message``. The token never
appears in an error or a log line: errors name the method, path and status only.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from automation.forge.model import Call, ForgeError

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_PAGES = 20
_NEXT = re.compile(r'<([^<>\s]{1,2048})>\s*;\s*rel="?next"?')


class ForgeTransientError(ForgeError):
    retryable = True


def next_link(header: str) -> str | None:
    """The ``rel="next"`` target of a Link header, or None (linear: one regex pass)."""
    for part in header[:16384].split(","):
        found = _NEXT.search(part)
        if found:
            return found.group(1)
    return None


def _message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    if isinstance(message, list):
        message = "; ".join(str(m) for m in message[:3])
    return str(message)[:200] if message else ""


class ForgeHttp:
    def __init__(
        self,
        base: str,
        headers: Mapping[str, str],
        *,
        verify: bool | ssl.SSLContext = True,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base = base.rstrip("/")
        self._origin = urlsplit(self.base)[:2]
        self._client = httpx.Client(
            headers=dict(headers),
            verify=verify,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def _read(self, response: httpx.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise ForgeError(f"the forge's answer is larger than {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _exchange(self, call: Call, url: str) -> tuple[Any, httpx.Headers]:
        what = f"{call.method} {call.path}"
        try:
            with self._client.stream(
                call.method, url, params=dict(call.params) or None, json=call.json
            ) as response:
                body = self._read(response)
        except httpx.HTTPError as err:
            raise ForgeTransientError(f"{what}: {type(err).__name__}") from None
        status = response.status_code
        if status not in call.ok:
            detail = _message(body)
            text = f"{what}: HTTP {status}" + (f": {detail}" if detail else "")
            limited = status == 429 or (
                status == 403 and response.headers.get("x-ratelimit-remaining") == "0"
            )
            if status >= 500 or limited:
                raise ForgeTransientError(text + (" (rate limited)" if limited else ""))
            raise ForgeError(text)
        if not body.strip():
            return None, response.headers
        try:
            return json.loads(body), response.headers
        except ValueError:
            raise ForgeError(f"{what}: the answer is not JSON") from None

    def url(self, path: str) -> str:
        """``base + path``; a leading ``/../`` climbs one level (GitHub Enterprise GraphQL)."""
        if path.startswith("/../"):
            return self.base.rsplit("/", 1)[0] + path[3:]
        return self.base + path

    def send(self, call: Call) -> Any:
        return self._exchange(call, self.url(call.path))[0]

    def pages(self, call: Call) -> list[Any]:
        items: list[Any] = []
        url: str | None = self.url(call.path)
        for page in range(MAX_PAGES):
            assert url is not None
            data, headers = self._exchange(call if page == 0 else _bare(call), url)
            if not isinstance(data, list):
                raise ForgeError(f"{call.method} {call.path}: expected a list")
            items += data
            url = next_link(headers.get("link", ""))
            if url is None:
                return items
            if urlsplit(url)[:2] != self._origin:
                raise ForgeError(f"{call.method} {call.path}: next page on another origin")
        raise ForgeError(f"{call.method} {call.path}: more than {MAX_PAGES} pages")


def _bare(call: Call) -> Call:
    """A next-page call: the Link target already carries the query."""
    return Call(call.method, call.path, call.ok)
