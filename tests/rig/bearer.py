"""Test-side client auth for the token registry: answer Bearer challenges, reuse tokens.

Only the rig's pushers use this; the product's own auth lives in automation/registry/.
"""

from __future__ import annotations

import re
from collections.abc import Generator

import httpx

_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
_REPO_PATH = re.compile(r"^/v2/(.+?)/(?:blobs|manifests|tags)/")


class BearerAuth(httpx.Auth):
    """Fetch a push+pull token on a Bearer challenge and keep it for the repository.

    A token is remembered per repository (the push scope the rig asks for covers pull too), so
    bulk pushes pay the challenge round trip once per repository.
    """

    requires_response_body = True

    def __init__(self, username: str | None, password: str | None) -> None:
        self._basic = httpx.BasicAuth(username, password or "") if username is not None else None
        self._tokens: dict[str, str] = {}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        match = _REPO_PATH.match(request.url.path)
        repo = match.group(1) if match else ""
        if token := self._tokens.get(repo):
            request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        challenge = response.headers.get("WWW-Authenticate", "")
        if response.status_code != 401 or not challenge.lower().startswith("bearer "):
            return
        params = dict(_CHALLENGE_PARAM.findall(challenge))
        query = {"service": params.get("service", "")}
        if repo:  # always ask for push so one token serves every request to the repository
            query["scope"] = f"repository:{repo}:pull,push"
        elif "scope" in params:
            query["scope"] = params["scope"]
        token_request = httpx.Request("GET", params["realm"], params=query)
        if self._basic is not None:
            token_request = next(self._basic.auth_flow(token_request))
        token_response = yield token_request
        token_response.raise_for_status()
        token = token_response.json()["token"]
        self._tokens[repo] = token
        request.headers["Authorization"] = f"Bearer {token}"
        yield request
