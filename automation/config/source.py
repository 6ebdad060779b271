"""source.toolkit.fluxcd.io GitRepository: where the manifests live."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import field_validator

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


class GitRepositorySpec(Model):
    url: str
    ref: GitRef | None = None
    secret_ref: LocalRef | None = None
    interval: Duration = timedelta(minutes=1)
    timeout: Duration = timedelta(seconds=60)
    suspend: bool = False

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not (_URL.match(value) or _SCP_LIKE.match(value)):
            raise ValueError(
                f"{value!r} is not a git URL "
                "(expected http(s)://, ssh://, file:// or user@host:path)"
            )
        return value


class GitRepository(Object):
    api_version: Literal["source.toolkit.fluxcd.io/v1", "source.toolkit.fluxcd.io/v1beta2"]
    kind: Literal["GitRepository"]
    spec: GitRepositorySpec
