"""GitHub REST (https://docs.github.com/en/rest, version 2022-11-28) as the rig serves it: pulls,
issue labels and assignees, review requests, and the GraphQL ``enablePullRequestAutoMerge``
mutation.
"""

from __future__ import annotations

import re
from typing import Any

from tests.rig.forges import TOKEN, Exchange, ForgeRig, Pull


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

    def rate_headers(self) -> dict[str, str]:
        left = 5000 if self.rate_limit is None else self.rate_limit
        reset = "1767225600"
        return {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": str(left),
            "x-ratelimit-reset": reset,
        }

    def rate_limited(self) -> tuple[int, Any, dict[str, str]]:
        # https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
        body = {
            "message": "API rate limit exceeded for user ID 1.",
            "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
        }
        return 403, body, {}

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
