"""Local GitHub, GitLab and Gitea API servers for the forge tests.

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
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
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


class GitHubRig(ForgeRig):
    kind = "github"

    def json_pull(self, pull: Pull) -> dict[str, Any]:
        return {
            "number": pull.number,
            "node_id": f"PR_node{pull.number}",
            "html_url": f"https://github.com/{self.repository}/pull/{pull.number}",
            "state": "open" if pull.state == "open" else "closed",
            "title": pull.title,
            "body": pull.body or None,
            "draft": pull.draft,
            "head": {
                "ref": pull.head,
                "label": f"org:{pull.head}",
                "repo": {"full_name": pull.fork or self.repository},
            },
            "base": {"ref": pull.base},
            "labels": [{"name": n} for n in pull.labels],
            "assignees": [{"login": n} for n in pull.assignees],
            "requested_reviewers": [{"login": n} for n in pull.reviewers],
        }

    def handle(self, ex: Exchange) -> tuple[int, Any, dict[str, str]]:
        if ex.headers.get("authorization") != f"Bearer {TOKEN}":
            return (
                401,
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
                {},
            )
        if ex.path == "/graphql":
            return self.graphql(ex)
        prefix = f"/repos/{self.repository}"
        if not ex.path.startswith(prefix):
            return 404, {"message": "Not Found"}, {}
        rest = ex.path[len(prefix) :]
        if rest == "/pulls" and ex.method == "GET":
            state = ex.query.get("state", ["open"])[0]
            base = ex.query.get("base", [None])[0]
            found = [
                p
                for p in self.pulls
                if (state == "all" or p.state == state) and base in (None, p.base)
            ]
            chunk, headers = self.page(
                [self.json_pull(p) for p in found], ex.query, "per_page", 30, ex.path
            )
            return 200, chunk, headers
        if rest == "/pulls" and ex.method == "POST":
            body = ex.body
            if not self.branch_exists(body["head"]):
                return (
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}],
                    },
                    {},
                )
            if any(p.head == body["head"] and p.state == "open" and not p.fork for p in self.pulls):
                return (
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [
                            {
                                "resource": "PullRequest",
                                "code": "custom",
                                "message": f"A pull request already exists for org:{body['head']}.",
                            }
                        ],
                    },
                    {},
                )
            pull = self.add_pull(body["head"], body["base"], body["title"], body.get("body") or "")
            pull.draft = bool(body.get("draft"))
            return 201, self.json_pull(pull), {}
        match = re.fullmatch(
            r"/(pulls|issues)/(\d+)(/labels|/assignees|/requested_reviewers)?", rest
        )
        if not match or int(match.group(2)) > len(self.pulls):
            return 404, {"message": "Not Found"}, {}
        pull = self.pulls[int(match.group(2)) - 1]
        what = (match.group(1), match.group(3), ex.method)
        if what == ("pulls", None, "PATCH"):
            pull.title = ex.body.get("title", pull.title)
            pull.body = ex.body.get("body", pull.body)
            pull.state = ex.body.get("state", pull.state)
            return 200, self.json_pull(pull), {}
        if what == ("issues", "/labels", "POST"):
            pull.labels += ex.body["labels"]
            return 200, [{"name": n} for n in pull.labels], {}
        if what == ("issues", "/assignees", "POST"):
            pull.assignees += ex.body["assignees"]
            return 201, self.json_pull(pull), {}
        if what == ("pulls", "/requested_reviewers", "POST"):
            pull.reviewers += ex.body["reviewers"]
            return 201, self.json_pull(pull), {}
        return 404, {"message": "Not Found"}, {}

    def graphql(self, ex: Exchange) -> tuple[int, Any, dict[str, str]]:
        node = ex.body.get("variables", {}).get("id", "")
        if "enablePullRequestAutoMerge" not in ex.body.get("query", ""):
            return 200, {"errors": [{"message": "unsupported query"}]}, {}
        for pull in self.pulls:
            if f"PR_node{pull.number}" == node:
                pull.auto_merge = True
                return (
                    200,
                    {
                        "data": {
                            "enablePullRequestAutoMerge": {"pullRequest": {"number": pull.number}}
                        }
                    },
                    {},
                )
        return (
            200,
            {
                "data": None,
                "errors": [
                    {
                        "type": "NOT_FOUND",
                        "message": f"Could not resolve to a node with the global id of '{node}'",
                    }
                ],
            },
            {},
        )


class GitLabRig(ForgeRig):
    kind = "gitlab"
    users: ClassVar[dict[str, int]] = {"alice": 7, "bob": 8}

    def json_mr(self, pull: Pull) -> dict[str, Any]:
        return {
            "iid": pull.number,
            "id": 1000 + pull.number,
            "web_url": f"https://gitlab.example.com/{self.repository}/-/merge_requests/{pull.number}",
            "state": "opened" if pull.state == "open" else "closed",
            "title": pull.title,
            "description": pull.body,
            "draft": pull.title.startswith("Draft:"),
            "source_branch": pull.head,
            "source_project_id": 99 if pull.fork else 42,
            "target_project_id": 42,
            "target_branch": pull.base,
            "labels": list(pull.labels),
            "assignees": [{"id": i} for i in pull.assignees],
            "reviewers": [{"id": i} for i in pull.reviewers],
            "merge_when_pipeline_succeeds": pull.auto_merge,
        }

    def handle(self, ex: Exchange) -> tuple[int, Any, dict[str, str]]:
        if ex.headers.get("private-token") != TOKEN:
            return 401, {"message": "401 Unauthorized"}, {}
        if ex.path == "/api/v4/users":
            name = ex.query.get("username", [""])[0]
            return (
                200,
                ([{"id": self.users[name], "username": name}] if name in self.users else []),
                {},
            )
        encoded = "/api/v4/projects/" + self.repository.replace("/", "%2F")
        if not ex.raw_path.startswith(encoded):
            return 404, {"message": "404 Project Not Found"}, {}
        rest = ex.raw_path[len(encoded) :].partition("?")[0]
        if rest == "/merge_requests" and ex.method == "GET":
            state = ex.query.get("state", ["all"])[0]
            target = ex.query.get("target_branch", [None])[0]
            want = {"opened": "open", "closed": "closed"}.get(state)
            found = [p for p in self.pulls if want in (None, p.state) and target in (None, p.base)]
            chunk, headers = self.page(
                [self.json_mr(p) for p in found],
                ex.query,
                "per_page",
                20,
                ex.raw_path.partition("?")[0],
            )
            return 200, chunk, headers
        if rest == "/merge_requests" and ex.method == "POST":
            body = ex.body
            if not self.branch_exists(body["source_branch"]):
                return 400, {"message": {"source_branch": ["is invalid"]}}, {}
            if any(
                p.head == body["source_branch"] and p.state == "open" and not p.fork
                for p in self.pulls
            ):
                return (
                    409,
                    {
                        "message": [
                            "Another open merge request already exists for this source branch: !"
                            + str(
                                next(
                                    p.number for p in self.pulls if p.head == body["source_branch"]
                                )
                            )
                        ]
                    },
                    {},
                )
            pull = self.add_pull(
                body["source_branch"],
                body["target_branch"],
                body["title"],
                body.get("description", ""),
            )
            pull.labels = [x for x in body.get("labels", "").split(",") if x]
            pull.assignees = list(body.get("assignee_ids", []))
            pull.reviewers = list(body.get("reviewer_ids", []))
            return 201, self.json_mr(pull), {}
        match = re.fullmatch(r"/merge_requests/(\d+)(/merge)?", rest)
        if not match or int(match.group(1)) > len(self.pulls):
            return 404, {"message": "404 Not found"}, {}
        pull = self.pulls[int(match.group(1)) - 1]
        if match.group(2) and ex.method == "PUT":
            if pull.state != "open":
                return 405, {"message": "405 Method Not Allowed"}, {}
            pull.auto_merge = bool(ex.body.get("merge_when_pipeline_succeeds"))
            return 200, self.json_mr(pull), {}
        if ex.method == "PUT":
            pull.title = ex.body.get("title", pull.title)
            pull.body = ex.body.get("description", pull.body)
            if ex.body.get("state_event") == "close":
                pull.state = "closed"
            return 200, self.json_mr(pull), {}
        return 405, {"message": "405 Method Not Allowed"}, {}


class GiteaRig(ForgeRig):
    kind = "gitea"
    labels: ClassVar[dict[str, int]] = {"images": 3, "automated": 4}

    def json_pull(self, pull: Pull) -> dict[str, Any]:
        return {
            "number": pull.number,
            "id": 500 + pull.number,
            "html_url": f"https://gitea.example.com/{self.repository}/pulls/{pull.number}",
            "state": "open" if pull.state == "open" else "closed",
            "title": pull.title,
            "body": pull.body,
            "draft": pull.title.startswith("WIP:"),
            "head": {
                "ref": pull.head,
                "label": pull.head,
                "repo": {"full_name": pull.fork or self.repository},
            },
            "base": {"ref": pull.base, "label": pull.base},
            "labels": [{"id": i} for i in pull.labels],
            "assignees": [{"login": n} for n in pull.assignees],
        }

    def handle(self, ex: Exchange) -> tuple[int, Any, dict[str, str]]:
        if ex.headers.get("authorization") != f"token {TOKEN}":
            return 401, {"message": "token is required", "url": f"{self.url}/api/swagger"}, {}
        prefix = f"/api/v1/repos/{self.repository}"
        if not ex.path.startswith(prefix):
            return 404, {"message": "The target couldn't be found.", "errors": []}, {}
        rest = ex.path[len(prefix) :]
        if rest == "/labels" and ex.method == "GET":
            items = [{"id": i, "name": n} for n, i in self.labels.items()]
            chunk, headers = self.page(items, ex.query, "limit", 30, ex.path)
            return 200, chunk, {**headers, "X-Total-Count": str(len(items))}
        if rest == "/pulls" and ex.method == "GET":
            state = ex.query.get("state", ["open"])[0]
            found = [p for p in self.pulls if state == "all" or p.state == state]
            chunk, headers = self.page(
                [self.json_pull(p) for p in found], ex.query, "limit", 30, ex.path
            )
            return 200, chunk, {**headers, "X-Total-Count": str(len(found))}
        if rest == "/pulls" and ex.method == "POST":
            body = ex.body
            if not self.branch_exists(body["head"]):
                return 404, {"message": "The target couldn't be found.", "errors": []}, {}
            if any(
                p.head == body["head"]
                and p.base == body["base"]
                and p.state == "open"
                and not p.fork
                for p in self.pulls
            ):
                return 409, {"message": "pull request already exists for these targets"}, {}
            pull = self.add_pull(body["head"], body["base"], body["title"], body.get("body", ""))
            pull.labels = list(body.get("labels", []))
            pull.assignees = list(body.get("assignees", []))
            return 201, self.json_pull(pull), {}
        match = re.fullmatch(r"/pulls/(\d+)(/merge|/requested_reviewers)?", rest)
        if not match or int(match.group(1)) > len(self.pulls):
            return 404, {"message": "The target couldn't be found.", "errors": []}, {}
        pull = self.pulls[int(match.group(1)) - 1]
        sub = match.group(2)
        if sub is None and ex.method == "PATCH":
            pull.title = ex.body.get("title", pull.title)
            pull.body = ex.body.get("body", pull.body)
            pull.state = ex.body.get("state", pull.state)
            return 201, self.json_pull(pull), {}
        if sub == "/requested_reviewers" and ex.method == "POST":
            pull.reviewers += ex.body["reviewers"]
            return 201, [{"id": 1, "state": "REQUEST_REVIEW"}], {}
        if sub == "/merge" and ex.method == "POST":
            if ex.body.get("merge_when_checks_succeed"):
                pull.auto_merge = True
            return 200, None, {}
        return 405, {"message": "method not allowed"}, {}


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
            status, body, headers = rig.handle(ex)
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
    def __init__(self, rig: ForgeRig) -> None:
        self.rig = rig
        self.server = ThreadingHTTPServer((LOCALHOST, 0), _handler(rig))
        rig.url = f"http://{LOCALHOST}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ForgeRig:
        self.thread.start()
        return self.rig

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


RIGS: dict[str, type[ForgeRig]] = {"github": GitHubRig, "gitlab": GitLabRig, "gitea": GiteaRig}


def serve_forge(kind: str, git_repo: Path) -> Iterator[ForgeRig]:
    with ServedForge(RIGS[kind](git_repo)) as rig:
        yield rig
