"""source.toolkit.fluxcd.io GitRepository: where the manifests live.

Every field of Flux's v1 GitRepository is accepted (source-controller api/v1
gitrepository_types.go), and v1beta1/v1beta2 objects map onto it as Flux's conversion did:
`verify.mode: head` is `HEAD`; `gitImplementation` and `accessFrom` (removed in v1) are
accepted in the old versions only and have no effect. `NOT_ACTED_ON` names what is accepted
but does not change what this tool does; the loader reports those once per run.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, field_validator

from automation.config.base import Duration, LocalRef, Model, Object

_URL = re.compile(r"^(https?|ssh|file)://\S+$")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:\S+$")


class GitRef(Model):
    """Which commit to check out. Precedence as in Flux: commit > name > tag > semver > branch."""

    branch: str | None = None
    tag: str | None = None
    semver: str | None = None
    name: str | None = None
    commit: str | None = None

    @property
    def is_empty(self) -> bool:
        return not any((self.branch, self.tag, self.semver, self.name, self.commit))


class GitVerification(Model):
    mode: Literal["HEAD", "Tag", "TagAndHEAD"] = "HEAD"
    secret_ref: LocalRef

    @field_validator("mode", mode="before")
    @classmethod
    def _old_head(cls, value: Any) -> Any:
        # v1beta1/v1beta2 spelled it `head`; source-controller treats that as HEAD.
        return "HEAD" if value == "head" else value


class GitRepositoryInclude(Model):
    repository: LocalRef
    from_path: str = ""
    to_path: str = ""


class NamespaceSelector(Model):
    match_labels: dict[str, str] = Field(default_factory=dict)


class AccessFrom(Model):
    namespace_selectors: list[NamespaceSelector] = Field(default_factory=list)


# Field (camelCase, as written) -> why it has no effect here.
NOT_ACTED_ON = {
    "include": "other GitRepositories are not copied into the checkout (nor by Flux's "
    "image-automation-controller: their files cannot be committed here)",
    "sparseCheckout": "the whole tree is checked out (only update.path is written)",
    "verify": "mode Tag: tag signatures are not verified (HEAD and TagAndHEAD verify the commit)",
    "recurseSubmodules": "submodules are not cloned; markers inside them are not updated, as "
    "their commits belong to other repositories",
    "proxySecretRef": "only http(s) remotes go through a proxy (this one is ssh or file)",
    "provider": "only secretRef credentials are used (no Azure/GitHub App identity)",
    "gitImplementation": "removed in v1; there is one implementation",
    "accessFrom": "removed in v1",
}


class GitRepositorySpec(Model):
    url: str
    ref: GitRef | None = None
    secret_ref: LocalRef | None = None
    provider: Literal["generic", "azure", "github"] = "generic"
    interval: Duration = timedelta(minutes=1)
    timeout: Duration = timedelta(seconds=60)
    verify: GitVerification | None = None
    proxy_secret_ref: LocalRef | None = None
    ignore: str | None = None
    suspend: bool = False
    recurse_submodules: bool = False
    include: list[GitRepositoryInclude] = Field(default_factory=list)
    sparse_checkout: list[str] = Field(default_factory=list)
    # v1beta1/v1beta2 only (the loader rejects them in v1).
    git_implementation: Literal["go-git", "libgit2"] | None = None
    access_from: AccessFrom | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not (_URL.match(value) or _SCP_LIKE.match(value)):
            raise ValueError(
                f"{value!r} is not a git URL "
                "(expected http(s)://, ssh://, file:// or user@host:path)"
            )
        return value

    def inert_fields(self) -> list[str]:
        """The fields set here that this tool accepts but does not act on."""
        set_fields = {
            "include": bool(self.include),
            "sparseCheckout": bool(self.sparse_checkout),
            "verify": self.verify is not None and self.verify.mode == "Tag",
            "recurseSubmodules": self.recurse_submodules,
            "proxySecretRef": self.proxy_secret_ref is not None
            and not self.url.startswith(("http://", "https://")),
            "provider": self.provider != "generic",
            "gitImplementation": self.git_implementation is not None,
            "accessFrom": self.access_from is not None,
        }
        return [name for name, present in set_fields.items() if present]


class GitRepository(Object):
    api_version: Literal[
        "source.toolkit.fluxcd.io/v1",
        "source.toolkit.fluxcd.io/v1beta2",
        "source.toolkit.fluxcd.io/v1beta1",
    ]
    kind: Literal["GitRepository"]
    spec: GitRepositorySpec
