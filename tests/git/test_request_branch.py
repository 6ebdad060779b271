"""Request branches against real remotes: created, fast-forwarded, rebuilt when stale with a
lease that protects a concurrent push, and never the checkout branch or a hostile name."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.errors import GitError, StalledError
from automation.git import (
    Author,
    CheckoutRef,
    CommitOptions,
    MessageTemplate,
    RequestBranch,
    Workspace,
    push_request_branch,
)
from tests.git.conftest import auth_for, set_image
from tests.rig.git_remotes import GitRemote, clone_and_commit, git, head

OPTIONS = CommitOptions(
    Author("Image Bot", "bot@example.com"),
    MessageTemplate("bump {{ (index .Changed.Changes 0).NewValue }}", "ns", "auto"),
)


class RacingWorkspace(Workspace):
    """A real workspace; another client pushes to the branch right after our fetch."""

    race: GitRemote | None = None

    def fetch_branch(self, branch: str, *, full: bool = False) -> str | None:
        sha = super().fetch_branch(branch, full=full)
        if self.race is not None:
            clone_and_commit(self.race, {"human.txt": "mine\n"}, "a human", branch=branch)
        return sha


def cycle(
    remote: GitRemote,
    cache: Path,
    image: str,
    name: str = "updates",
    race: bool = False,
) -> RequestBranch | None:
    with Workspace.open(cache, remote.url, auth_for(remote)) as ws:
        base = ws.sync(CheckoutRef(branch="main"))
        if race:
            ws.__class__ = RacingWorkspace
            ws.race = remote  # type: ignore[attr-defined]
        apply = set_image("app.yaml", image)
        return push_request_branch(ws, base, apply, OPTIONS, lambda c: name, "main")


@pytest.mark.parametrize("name", ["bare_remote", "http_remote"])
def test_created_fast_forwarded_then_rebuilt(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    remote: GitRemote = request.getfixturevalue(name)
    main = head(remote, "main")
    first = cycle(remote, tmp_path, "app:1.0.1")
    assert first is not None and first.pushed and not first.rebuilt
    assert head(remote, "updates") == first.commit and head(remote, "main") == main
    second = cycle(remote, tmp_path, "app:1.0.2")
    assert second is not None and second.pushed and not second.rebuilt
    assert git("rev-parse", f"{second.commit}^", cwd=remote.path).strip() == first.commit
    same = cycle(remote, tmp_path, "app:1.0.2")
    assert same is not None and not same.pushed and same.commit == second.commit
    assert len(same.changes.paths) == 1  # the request still shows the whole update
    moved = clone_and_commit(remote, {"other": "x"}, "main moved")
    rebuilt = cycle(remote, tmp_path, "app:1.0.2")
    assert rebuilt is not None and rebuilt.rebuilt and rebuilt.pushed
    assert git("rev-parse", f"{rebuilt.commit}^", cwd=remote.path).strip() == moved


def test_nothing_to_do_when_the_checkout_has_the_update(
    bare_remote: GitRemote, tmp_path: Path
) -> None:
    clone_and_commit(bare_remote, {"app.yaml": "image: app:1.0.1\n"}, "merged")
    assert cycle(bare_remote, tmp_path, "app:1.0.1") is None
    assert head(bare_remote, "updates") is None


def test_a_push_racing_a_rebuild_is_not_overwritten(bare_remote: GitRemote, tmp_path: Path) -> None:
    cycle(bare_remote, tmp_path, "app:1.0.1")
    clone_and_commit(bare_remote, {"other": "x"}, "main moved")  # our branch is now stale
    with pytest.raises(GitError, match="rejected"):
        cycle(bare_remote, tmp_path, "app:1.0.1", race=True)
    tip = head(bare_remote, "updates")
    assert git("log", "-1", "--format=%s", str(tip), cwd=bare_remote.path).strip() == "a human"


@pytest.mark.parametrize("name", ["main", "--upload-pack=touch /tmp/x", "a..b", "x y"])
def test_the_checkout_branch_and_hostile_names_are_refused(
    bare_remote: GitRemote, tmp_path: Path, name: str
) -> None:
    main = head(bare_remote, "main")
    with pytest.raises(StalledError):
        cycle(bare_remote, tmp_path, "app:1.0.1", name=name)
    assert head(bare_remote, "main") == main
    assert git("for-each-ref", "--format=%(refname)", cwd=bare_remote.path).split() == [
        "refs/heads/main"
    ]
