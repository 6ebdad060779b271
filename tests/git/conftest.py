"""Shared pieces for the git stage tests: auth for the rig's remotes and a tiny updater."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from automation.changeset import Change, ChangeSet, ObjectId, build_changeset
from automation.git import GitAuth
from tests.rig.git_remotes import GitRemote

APP = ObjectId("apps/v1", "Deployment", "default", "app")


def auth_for(remote: GitRemote, *, known_hosts: bytes | None = None) -> GitAuth:
    return GitAuth(
        username=remote.username,
        password=remote.password,
        identity=remote.identity,
        known_hosts=remote.known_hosts if known_hosts is None else known_hosts,
        ca_bundle=remote.ca_bundle,
    )


def set_image(file: str, image: str, setter: str = "default:app") -> Callable[[Path], ChangeSet]:
    """An ``apply`` that writes ``image: <image>`` to ``file``; a change only when it differs."""

    def apply(root: Path) -> ChangeSet:
        path = root / file
        old = path.read_text().removeprefix("image: ").strip() if path.exists() else ""
        if old == image:
            return ChangeSet()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"image: {image}\n")
        return build_changeset([(file, APP, Change(old, image, setter))])

    return apply
