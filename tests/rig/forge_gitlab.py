"""GitLab REST v4 (https://docs.gitlab.com/api/merge_requests/) as the rig serves it: merge
requests, merge, users.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from tests.rig.forges import TOKEN, Exchange, ForgeRig, Pull


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

    def rate_headers(self) -> dict[str, str]:
        left = 2000 if self.rate_limit is None else self.rate_limit
        return {"RateLimit-Limit": "2000", "RateLimit-Remaining": str(left)}

    def rate_limited(self) -> tuple[int, Any, dict[str, str]]:
        # https://docs.gitlab.com/security/rate_limits/: 429 with Retry-After
        return 429, {"message": "Retry later"}, {"Retry-After": "60"}

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
