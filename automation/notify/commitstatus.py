"""Commit statuses on GitHub, GitLab and Gitea for events that name a revision. Pure.

In: the provider type, its address (the repository's web URL, e.g.
``https://github.com/org/fleet``), the token and an ``Event`` whose metadata has
``revision`` (``branch@sha1:<sha>``, as Flux writes it). Out: (URL, headers, body), or None
for an event without a revision (nothing to mark).

As Flux's github.go, gitlab.go and gitea.go in internal/notifier: the status ``context``
(GitLab: ``name``) is ``kind/name`` in lower case, the description the event's reason in
lower-case words, the state ``success`` for info and ``failure`` (GitLab ``failed``) for
errors. Endpoints: GitHub ``POST /repos/{owner}/{repo}/statuses/{sha}`` on api.github.com
(Enterprise: ``https://HOST/api/v3``); GitLab ``POST /api/v4/projects/:id/statuses/:sha``;
Gitea ``POST /api/v1/repos/{owner}/{repo}/statuses/{sha}``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from automation.errors import StalledError
from automation.notify.event import Event

_SHA = re.compile(r"(?:sha1|sha256):([0-9a-f]{40}|[0-9a-f]{64})$")
_WORDS = re.compile(r"[A-Z][a-z0-9]*|[a-z0-9]+")
COMMIT_STATUS_TYPES = ("github", "gitlab", "gitea")


def revision_sha(revision: str) -> str | None:
    found = _SHA.search(revision[:512])
    return found.group(1) if found else None


def _repository(address: str) -> tuple[str, str]:
    parts = urlsplit(address)
    path = parts.path.strip("/").removesuffix(".git")
    if parts.scheme not in ("http", "https") or path.count("/") < 1 or parts.username:
        raise StalledError("a commit status provider's address must be the repository's URL")
    return f"{parts.scheme}://{parts.netloc}", path


def commit_status(
    provider_type: str, address: str, token: str, event: Event
) -> tuple[str, dict[str, str], Any] | None:
    sha = revision_sha(event.metadata.get("revision", ""))
    if sha is None:
        return None
    origin, path = _repository(address)
    context = f"{event.kind}/{event.name}".lower()
    description = " ".join(_WORDS.findall(event.reason)).lower()
    failed = event.severity == "error"
    if provider_type == "github":
        api = "https://api.github.com" if origin == "https://github.com" else f"{origin}/api/v3"
        url = f"{api}/repos/{path}/statuses/{sha}"
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
        body = {"state": "failure" if failed else "success", "context": context}
    elif provider_type == "gitlab":
        url = f"{origin}/api/v4/projects/{quote(path, safe='')}/statuses/{sha}"
        headers = {"PRIVATE-TOKEN": token}
        body = {"state": "failed" if failed else "success", "name": context}
    else:
        url = f"{origin}/api/v1/repos/{path}/statuses/{sha}"
        headers = {"Authorization": f"token {token}"}
        body = {"state": "failure" if failed else "success", "context": context}
    body["description"] = description
    return url, headers, body
