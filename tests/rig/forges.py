"""Local GitHub, GitLab and Gitea API servers for the forge tests: the shared state, HTTP
server and helpers here; each forge's routes in ``forge_github.py``, ``forge_gitlab.py`` and
``forge_gitea.py``.

No forge can run on this machine, so each class below implements the requests the product
uses exactly as the forge's public REST reference describes them: paths, methods, success
and error status codes, error bodies, auth headers and Link-header pagination.

- GitHub: https://docs.github.com/en/rest/pulls/pulls (list 200, create 201, update 200,
  422 "Validation Failed" for a second open request of a head or a head branch that does
  not exist), /rest/issues/labels (200), /rest/issues/assignees (201),
  /rest/pulls/review-requests (201), /graphql ``enablePullRequestAutoMerge`` (200 with
  ``data`` or ``errors``); 401 ``{"message": "Bad credentials"}``; ``per_page`` (max 100),
  ``page``, ``Link: <...>; rel="next"``.
- GitLab: https://docs.gitlab.com/api/merge_requests/ (list 200, create 201, update 200,
  409 for a second open request of a source branch, merge 200 / 405), /api/users (200);
  401 ``{"message": "401 Unauthorized"}``; ``per_page``/``page`` with Link and X-Next-Page.
- Gitea: the v1 swagger (list 200, create 201, edit 201, 409 when a request for the same
  head and base is open, requested_reviewers 201, labels 200, merge 200); 401 with
  ``{"message": "..."}``; ``limit``/``page`` with Link and X-Total-Count.

Every forge checks that a head branch really exists in the rig's bare git repository (the
branch was pushed over git), as the real ones do. Servers run in a thread for one test.
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.rig.git_remotes import head as branch_head
from tests.rig.ports import LOCALHOST

TOKEN = "forge-tok-3b1f5d0e9c"


@dataclass
class Pull:
    number: int
    head: str
    base: str
    title: str
    body: str
    draft: bool = False
    state: str = "open"
    labels: list[Any] = field(default_factory=list)
    assignees: list[Any] = field(default_factory=list)
    reviewers: list[Any] = field(default_factory=list)
    auto_merge: bool = False
    fork: str = ""  # owner/name of the fork the head branch lives in, "" for this repository


@dataclass
class Exchange:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    raw_path: str = ""  # still percent-encoded (GitLab's project id is an encoded path)


class ForgeRig:
    """State and routing shared by the three forges; subclasses answer their own API."""

    kind = ""

    def __init__(self, git_repo: Path, repository: str = "org/fleet") -> None:
        self.git_repo = git_repo
        self.repository = repository
        self.pulls: list[Pull] = []
        self.log: list[Exchange] = []
        self.url = ""

    # -- helpers used by subclasses -------------------------------------------------------

    def add_pull(self, head: str, base: str, title: str, body: str = "") -> Pull:
        pull = Pull(len(self.pulls) + 1, head, base, title, body)
        self.pulls.append(pull)
        return pull

    def branch_exists(self, name: str) -> bool:
        return branch_head(self.git_repo, name) is not None

    def page(
        self, items: list[Any], query: dict[str, list[str]], size_key: str, default: int, path: str
    ) -> tuple[list[Any], dict[str, str]]:
        size = min(int(query.get(size_key, [str(default)])[0]), 100)
        number = int(query.get("page", ["1"])[0])
        chunk = items[(number - 1) * size : number * size]
        headers: dict[str, str] = {}
        if number * size < len(items):
            rest = {k: v[0] for k, v in query.items() if k != "page"}
            q = "&".join(f"{k}={v}" for k, v in rest.items())
            headers["Link"] = f'<{self.url}{path}?{q}&page={number + 1}>; rel="next"'
        return chunk, headers

    def handle(self, exchange: Exchange) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    # Rate limits: ``rate_limit`` requests are allowed (None: no limit), then the forge's
    # own "rate limited" answer; ``rate_headers`` are sent with every answer.
    rate_limit: int | None = None

    def rate_limited(self) -> tuple[int, Any, dict[str, str]]:
        return 429, {"message": "rate limited"}, {}

    def rate_headers(self) -> dict[str, str]:
        return {}

    def respond(self, exchange: Exchange) -> tuple[int, Any, dict[str, str]]:
        if self.rate_limit is not None:
            if self.rate_limit <= 0:
                status, body, headers = self.rate_limited()
                return status, body, {**self.rate_headers(), **headers}
            self.rate_limit -= 1
        status, body, headers = self.handle(exchange)
        return status, body, {**self.rate_headers(), **headers}


def _handler(rig: ForgeRig) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            ex = Exchange(
                self.command,
                unquote(parts.path),
                parse_qs(parts.query),
                {k.lower(): v for k, v in self.headers.items()},
                json.loads(raw) if raw else None,
                parts.path,
            )
            rig.log.append(ex)
            status, body, headers = rig.respond(ex)
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class ServedForge:
    """The rig on a loopback port; with ``tls`` (cert and key files) over HTTPS."""

    def __init__(self, rig: ForgeRig, tls: tuple[Path, Path] | None = None) -> None:
        self.rig = rig
        self.server = ThreadingHTTPServer((LOCALHOST, 0), _handler(rig))
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        rig.url = f"{scheme}://{LOCALHOST}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ForgeRig:
        self.thread.start()
        return self.rig

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
