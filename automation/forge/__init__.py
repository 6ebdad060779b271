"""The forge stage: pull/merge requests on GitHub, GitLab and Gitea/Forgejo (httpx).

In: the forge type, API base, repository, token and a ``RequestSpec``. Out: a
``RequestOutcome``. Request building (``*_call`` methods, ``parse_request``) is pure; all
I/O goes through ``ForgeHttp``.
"""

import ssl

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
    kind: str,
    base: str,
    repository: str,
    token: str,
    *,
    verify: bool = True,
    ca_pem: bytes = b"",
) -> tuple[Forge, ForgeHttp]:
    """The forge client for ``kind`` and the HTTP session it uses (close it when done).

    ``ca_pem``: certificates to trust for the forge instead of the system's."""
    tls: bool | ssl.SSLContext = verify
    if verify and ca_pem:
        try:
            tls = ssl.create_default_context(cadata=ca_pem.decode("ascii", "replace"))
        except (ssl.SSLError, ValueError):
            raise ForgeError("the forge CA (ca.crt) is not a PEM certificate") from None
    http = ForgeHttp(base, HEADERS[kind](token), verify=tls)
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
