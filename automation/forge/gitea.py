"""Gitea and Forgejo pull requests over the REST API v1 (Forgejo keeps Gitea's API).

Endpoints (the swagger at /api/swagger of any instance, templates/swagger/v1_json.tmpl in
go-gitea/gitea): list ``GET /api/v1/repos/{o}/{r}/pulls?state=open`` (200, Link
pagination with ``page``/``limit``), create ``POST /api/v1/repos/{o}/{r}/pulls`` (201),
edit/close ``PATCH /api/v1/repos/{o}/{r}/pulls/{index}`` (201, as the swagger says),
reviewers ``POST .../pulls/{index}/requested_reviewers`` (201), label ids ``GET
/api/v1/repos/{o}/{r}/labels`` (200), auto-merge ``POST .../pulls/{index}/merge`` with
``merge_when_checks_succeed`` (200). A draft is a title starting with ``WIP:``.
Authentication: ``Authorization: token <token>``.
"""

from __future__ import annotations

from typing import Any

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
    return {"Authorization": f"token {token}", "Accept": "application/json"}


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
    )


def title(spec: RequestSpec) -> str:
    return f"WIP: {spec.short_title}" if spec.draft else spec.short_title


class Gitea:
    headers = staticmethod(headers)

    def __init__(self, http: Transport, repository: str, base_url: str = "") -> None:
        self.http = http
        self.repository = repository
        self.repo = f"/api/v1/repos/{repository}"

    def list_call(self, base: str) -> Call:
        return Call("GET", f"{self.repo}/pulls", (200,), {"state": "open", "limit": "50"})

    def label_ids(self, names: tuple[str, ...]) -> list[int]:
        found = self.http.pages(Call("GET", f"{self.repo}/labels", (200,), {"limit": "50"}))
        by_name = {text(mapping(x).get("name"), 255): mapping(x).get("id") for x in found}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise ForgeError(f"the repository has no label {missing[0]!r}")
        return [number(by_name[n]) for n in names]

    def create_call(self, spec: RequestSpec) -> Call:
        payload: dict[str, Any] = {
            "head": spec.head,
            "base": spec.base,
            "title": title(spec),
            "body": spec.full_body,
        }
        if spec.assignees:
            payload["assignees"] = list(spec.assignees)
        if spec.labels:
            payload["labels"] = self.label_ids(spec.labels)
        return Call("POST", f"{self.repo}/pulls", (201,), json=payload)

    def update_call(self, request: OpenRequest, spec: RequestSpec) -> Call:
        payload = {"title": title(spec), "body": spec.full_body}
        return Call("PATCH", f"{self.repo}/pulls/{request.number}", (201,), json=payload)

    def stored_title(self, spec: RequestSpec) -> str:
        return title(spec)

    def open_requests(self, base: str) -> list[OpenRequest]:
        found = [
            parse_request(item, self.repository) for item in self.http.pages(self.list_call(base))
        ]
        return [r for r in found if r.base == base]

    def create(self, spec: RequestSpec) -> OpenRequest:
        request = parse_request(self.http.send(self.create_call(spec)), self.repository)
        if spec.reviewers:
            path = f"{self.repo}/pulls/{request.number}/requested_reviewers"
            self.http.send(Call("POST", path, (201,), json={"reviewers": list(spec.reviewers)}))
        return request

    def update(self, request: OpenRequest, spec: RequestSpec) -> OpenRequest:
        return parse_request(self.http.send(self.update_call(request, spec)), self.repository)

    def close(self, request: OpenRequest) -> None:
        path = f"{self.repo}/pulls/{request.number}"
        self.http.send(Call("PATCH", path, (201,), json={"state": "closed"}))

    def enable_auto_merge(self, request: OpenRequest) -> bool:
        path = f"{self.repo}/pulls/{request.number}/merge"
        payload = {"Do": "merge", "merge_when_checks_succeed": True}
        self.http.send(Call("POST", path, (200,), json=payload))
        return True
