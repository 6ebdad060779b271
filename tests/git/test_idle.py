"""Skip when idle: same policy refs and an unmoved branch mean no git work."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.git import LastRun, PushTarget, is_idle, may_skip, source_revision
from tests.git.conftest import auth_for
from tests.rig.git_remotes import GitRemote, clone_and_commit, head

REFS = {"default/app": "registry/app:1.0.1"}


SEEN = LastRun(REFS, "main@sha1:abc")
MAIN = PushTarget("main")
NEWER = {"default/app": "registry/app:1.0.2"}
MORE = {**REFS, "default/db": "db:1"}
WITH_REFSPEC = PushTarget("main", refspec="refs/heads/main:refs/heads/x")


@pytest.mark.parametrize(
    ("last", "refs", "checkout", "target", "expected"),
    [
        (SEEN, REFS, "main", MAIN, True),
        (None, REFS, "main", MAIN, False),
        (LastRun(REFS, ""), REFS, "main", MAIN, False),
        (SEEN, NEWER, "main", MAIN, False),
        (SEEN, MORE, "main", MAIN, False),
        (SEEN, REFS, "main", PushTarget("auto"), False),
        (SEEN, REFS, "main", WITH_REFSPEC, False),
        (SEEN, REFS, None, MAIN, False),
    ],
)
def test_may_skip_table(
    last: LastRun | None,
    refs: dict[str, str],
    checkout: str | None,
    target: PushTarget,
    expected: bool,
) -> None:
    assert may_skip(last, refs, checkout, target) is expected


@pytest.mark.parametrize("name", ["bare_remote", "ssh_remote"])
def test_is_idle_until_the_branch_moves(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    remote: GitRemote = request.getfixturevalue(name)
    sha = head(remote, "main")
    assert sha is not None
    last = LastRun(REFS, source_revision("main", sha))
    kwargs = {"url": remote.url, "auth": auth_for(remote)}
    assert is_idle(last, REFS, "main", PushTarget("main"), **kwargs)  # type: ignore[arg-type]
    assert not is_idle(last, {"default/app": "x:2"}, "main", PushTarget("main"), **kwargs)  # type: ignore[arg-type]
    clone_and_commit(remote, {"moved": "1"}, "someone pushed")
    assert not is_idle(last, REFS, "main", PushTarget("main"), **kwargs)  # type: ignore[arg-type]
