"""Gitea/Forgejo REST v1 (the swagger of any instance) as the rig serves it: pulls, requested
reviewers, merge, labels.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from tests.rig.forges import TOKEN, Exchange, ForgeRig, Pull


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
