"""The forge stage: pull/merge requests on GitHub, GitLab and Gitea/Forgejo (httpx).

In: the forge type, API base, repository, token and a ``RequestSpec``. Out: a
``RequestOutcome``. Request building (``*_call`` methods, ``parse_request``) is pure; all
I/O goes through ``ForgeHttp``.
"""

from automation.forge.gitea import Gitea
from automation.forge.github import GitHub
from automation.forge.gitlab import GitLab
from automation.forge.http import ForgeHttp, ForgeTransientError
from automation.forge.model import Forge, ForgeError, OpenRequest, RequestSpec
from automation.forge.sync import RequestOutcome, sync_request

FORGES: dict[str, type[GitHub] | type[GitLab] | type[Gitea]] = {
    "github": GitHub,
    "gitlab": GitLab,
    "gitea": Gitea,
}
HEADERS = {
    "github": GitHub.headers,
    "gitlab": GitLab.headers,
    "gitea": Gitea.headers,
}


def open_forge(
    kind: str, base: str, repository: str, token: str, *, verify: bool | str = True
) -> tuple[Forge, ForgeHttp]:
    """The forge client for ``kind`` and the HTTP session it uses (close it when done)."""
    http = ForgeHttp(base, HEADERS[kind](token), verify=verify)
    return FORGES[kind](http, repository, base), http


__all__ = [
    "FORGES",
    "Forge",
    "ForgeError",
    "ForgeHttp",
    "ForgeTransientError",
    "OpenRequest",
    "RequestOutcome",
    "RequestSpec",
    "open_forge",
    "sync_request",
]
