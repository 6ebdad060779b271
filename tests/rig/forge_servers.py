"""``serve_forge(kind, git_repo)``: one forge's API rig on a loopback port for one test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tests.rig.forge_gitea import GiteaRig
from tests.rig.forge_github import GitHubRig
from tests.rig.forge_gitlab import GitLabRig
from tests.rig.forges import ForgeRig, ServedForge

RIGS: dict[str, type[ForgeRig]] = {"github": GitHubRig, "gitlab": GitLabRig, "gitea": GiteaRig}


def serve_forge(
    kind: str, git_repo: Path, tls: tuple[Path, Path] | None = None
) -> Iterator[ForgeRig]:
    with ServedForge(RIGS[kind](git_repo), tls) as rig:
        yield rig
