"""GitLab merge requests over the REST API v4 (gitlab.com or self-hosted).

Endpoints (https://docs.gitlab.com/api/merge_requests/, /api/users/):
list ``GET /api/v4/projects/:id/merge_requests?state=opened&target_branch=`` (200, Link
pagination), create ``POST .../merge_requests`` (201), update/close ``PUT
.../merge_requests/:iid`` (200; ``state_event: close``), auto-merge ``PUT
.../merge_requests/:iid/merge`` with ``merge_when_pipeline_succeeds`` (200), user ids ``GET
/api/v4/users?username=`` (200). ``:id`` is the URL-encoded project path. A draft is a
title starting with ``Draft:``. Authentication: the ``PRIVATE-TOKEN`` header.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from automation.forge.model import (
    Call,
    ForgeError,
    OpenRequest,
    RequestSpec,
    Transport,
    mapping,
    number,
    text,
)


def headers(token: str) -> dict[str, str]:
    return {"PRIVATE-TOKEN": token, "Accept": "application/json"}


def parse_request(data: Any) -> OpenRequest:
    item = mapping(data)
    return OpenRequest(
        number=number(item.get("iid")),
        url=text(item.get("web_url"), 2048),
        head=text(item.get("source_branch"), 255),
        base=text(item.get("target_branch"), 255),
        title=text(item.get("title"), 1024),
        body=text(item.get("description")),
        same_repository=item.get("source_project_id") == item.get("target_project_id"),
    )


def title(spec: RequestSpec) -> str:
    return f"Draft: {spec.short_title}" if spec.draft else spec.short_title


class GitLab:
    headers = staticmethod(headers)

    def __init__(self, http: Transport, repository: str, base_url: str = "") -> None:
        self.http = http
        self.project = f"/api/v4/projects/{quote(repository, safe='')}"
        self._user_ids: dict[str, int] = {}

    def list_call(self, base: str) -> Call:
        params = {"state": "opened", "target_branch": base, "per_page": "100"}
        return Call("GET", f"{self.project}/merge_requests", (200,), params)

    def user_id(self, username: str) -> int:
        if username not in self._user_ids:
            found = self.http.send(Call("GET", "/api/v4/users", (200,), {"username": username}))
            users = found if isinstance(found, list) else []
            if not users:
                raise ForgeError(f"GitLab has no user {username!r}")
            self._user_ids[username] = number(mapping(users[0]).get("id"))
        return self._user_ids[username]

    def create_call(self, spec: RequestSpec) -> Call:
        payload: dict[str, Any] = {
            "source_branch": spec.head,
            "target_branch": spec.base,
            "title": title(spec),
            "description": spec.full_body,
            "remove_source_branch": True,
        }
        if spec.labels:
            payload["labels"] = ",".join(spec.labels)
        if spec.assignees:
            payload["assignee_ids"] = [self.user_id(u) for u in spec.assignees]
        if spec.reviewers:
            payload["reviewer_ids"] = [self.user_id(u) for u in spec.reviewers]
        return Call("POST", f"{self.project}/merge_requests", (201,), json=payload)

    def update_call(self, request: OpenRequest, spec: RequestSpec) -> Call:
        payload = {"title": title(spec), "description": spec.full_body}
        return Call("PUT", f"{self.project}/merge_requests/{request.number}", (200,), json=payload)

    def stored_title(self, spec: RequestSpec) -> str:
        return title(spec)

    def open_requests(self, base: str) -> list[OpenRequest]:
        return [parse_request(item) for item in self.http.pages(self.list_call(base))]

    def create(self, spec: RequestSpec) -> OpenRequest:
        return parse_request(self.http.send(self.create_call(spec)))

    def update(self, request: OpenRequest, spec: RequestSpec) -> OpenRequest:
        return parse_request(self.http.send(self.update_call(request, spec)))

    def close(self, request: OpenRequest) -> None:
        path = f"{self.project}/merge_requests/{request.number}"
        self.http.send(Call("PUT", path, (200,), json={"state_event": "close"}))

    def enable_auto_merge(self, request: OpenRequest) -> bool:
        path = f"{self.project}/merge_requests/{request.number}/merge"
        self.http.send(Call("PUT", path, (200,), json={"merge_when_pipeline_succeeds": True}))
        return True
