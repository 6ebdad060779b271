"""GitHub (and GitHub Enterprise) pull requests over the REST API, auto-merge over GraphQL.

Endpoints (https://docs.github.com/en/rest/pulls/pulls, /rest/issues/labels,
/rest/issues/assignees, /rest/pulls/review-requests; version 2022-11-28):
list ``GET /repos/{o}/{r}/pulls?state=open&base=`` (200, Link pagination), create
``POST /repos/{o}/{r}/pulls`` (201), update/close ``PATCH /repos/{o}/{r}/pulls/{n}`` (200),
labels ``POST /repos/{o}/{r}/issues/{n}/labels`` (200), assignees ``POST
/repos/{o}/{r}/issues/{n}/assignees`` (201), reviewers ``POST
/repos/{o}/{r}/pulls/{n}/requested_reviewers`` (201). Auto-merge has no REST endpoint: the
GraphQL mutation ``enablePullRequestAutoMerge`` (https://docs.github.com/en/graphql/reference/
mutations#enablepullrequestautomerge) at ``/graphql`` (``/api/graphql`` on Enterprise).
"""

from __future__ import annotations

from typing import Any

from automation.forge.model import (
    Call,
    OpenRequest,
    RequestSpec,
    Transport,
    mapping,
    number,
    text,
)

API_VERSION = "2022-11-28"
AUTO_MERGE = (
    "mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $id}) "
    "{ pullRequest { number } } }"
)


def headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
    }


def graphql_path(base: str) -> str:
    """Relative to ``base``: Enterprise's REST base ends in /api/v3, GraphQL is /api/graphql."""
    return "/../graphql" if base.rstrip("/").endswith("/api/v3") else "/graphql"


def parse_request(data: Any, repository: str = "") -> OpenRequest:
    item = mapping(data)
    head_repo = text(mapping(mapping(item.get("head")).get("repo")).get("full_name"), 255)
    return OpenRequest(
        number=number(item.get("number")),
        url=text(item.get("html_url"), 2048),
        head=text(mapping(item.get("head")).get("ref"), 255),
        base=text(mapping(item.get("base")).get("ref"), 255),
        title=text(item.get("title"), 1024),
        body=text(item.get("body")),
        same_repository=head_repo.lower() == repository.lower(),
        node_id=text(item.get("node_id"), 255),
    )


class GitHub:
    headers = staticmethod(headers)

    def __init__(self, http: Transport, repository: str, base_url: str = "") -> None:
        self.http = http
        self.repository = repository
        self.repo = f"/repos/{repository}"
        self.graphql = graphql_path(base_url)

    def list_call(self, base: str) -> Call:
        return Call(
            "GET", f"{self.repo}/pulls", (200,), {"state": "open", "base": base, "per_page": "100"}
        )

    def create_call(self, spec: RequestSpec) -> Call:
        payload = {
            "title": spec.short_title,
            "head": spec.head,
            "base": spec.base,
            "body": spec.full_body,
            "draft": spec.draft,
            "maintainer_can_modify": False,
        }
        return Call("POST", f"{self.repo}/pulls", (201,), json=payload)

    def update_call(self, request: OpenRequest, spec: RequestSpec) -> Call:
        payload = {"title": spec.short_title, "body": spec.full_body}
        return Call("PATCH", f"{self.repo}/pulls/{request.number}", (200,), json=payload)

    def extra_calls(self, request: OpenRequest, spec: RequestSpec) -> list[Call]:
        n, calls = request.number, []
        if spec.labels:
            calls.append(
                Call(
                    "POST",
                    f"{self.repo}/issues/{n}/labels",
                    (200,),
                    json={"labels": list(spec.labels)},
                )
            )
        if spec.assignees:
            calls.append(
                Call(
                    "POST",
                    f"{self.repo}/issues/{n}/assignees",
                    (201,),
                    json={"assignees": list(spec.assignees)},
                )
            )
        if spec.reviewers:
            calls.append(
                Call(
                    "POST",
                    f"{self.repo}/pulls/{n}/requested_reviewers",
                    (201,),
                    json={"reviewers": list(spec.reviewers)},
                )
            )
        return calls

    def stored_title(self, spec: RequestSpec) -> str:
        return spec.short_title

    def open_requests(self, base: str) -> list[OpenRequest]:
        return [
            parse_request(item, self.repository) for item in self.http.pages(self.list_call(base))
        ]

    def create(self, spec: RequestSpec) -> OpenRequest:
        request = parse_request(self.http.send(self.create_call(spec)), self.repository)
        for call in self.extra_calls(request, spec):
            self.http.send(call)
        return request

    def update(self, request: OpenRequest, spec: RequestSpec) -> OpenRequest:
        return parse_request(self.http.send(self.update_call(request, spec)), self.repository)

    def close(self, request: OpenRequest) -> None:
        self.http.send(
            Call("PATCH", f"{self.repo}/pulls/{request.number}", (200,), json={"state": "closed"})
        )

    def enable_auto_merge(self, request: OpenRequest) -> bool:
        query = {"query": AUTO_MERGE, "variables": {"id": request.node_id}}
        answer = mapping(self.http.send(Call("POST", self.graphql, (200,), json=query)))
        # GraphQL reports failures in a 200 answer's "errors" list.
        return not answer.get("errors") and bool(
            mapping(answer.get("data")).get("enablePullRequestAutoMerge")
        )
