"""push_with_retry against real remotes: same branch, other branch, refspec, options, races."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.changeset import ChangeSet
from automation.errors import GitError, StalledError
from automation.git import (
    Author,
    CheckoutRef,
    CommitOptions,
    GitAuth,
    MessageTemplate,
    PushTarget,
    Workspace,
    push_with_retry,
)
from tests.git.conftest import auth_for, set_image
from tests.rig.git_remotes import GitRemote, clone_and_commit, git, head, log, read_file_at

MAIN = CheckoutRef(branch="main")
OPTIONS = CommitOptions(
    author=Author("Image Bot", "bot@example.com"),
    message=MessageTemplate("bump {{ (index .Changed.Changes 0).NewValue }}", "ns", "auto"),
)


def run_cycle(
    remote: GitRemote,
    cache: Path,
    target: PushTarget,
    apply: object,
    checkout: CheckoutRef = MAIN,
    **kwargs: object,
) -> object:
    with Workspace.open(cache, remote.url, auth_for(remote)) as ws:
        base = ws.sync(checkout)
        return push_with_retry(
            ws,
            target,
            apply,  # type: ignore[arg-type]
            OPTIONS,
            base=base,
            checkout_branch=checkout.branch,
            sleep=lambda _: None,
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize("name", ["bare_remote", "http_remote", "ssh_remote"])
def test_push_to_the_checkout_branch(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    remote: GitRemote = request.getfixturevalue(name)
    result = run_cycle(remote, tmp_path, PushTarget("main"), set_image("app.yaml", "app:1.0.1"))
    assert result is not None
    assert result.commit == head(remote, "main")  # type: ignore[attr-defined]
    assert result.attempts == 1  # type: ignore[attr-defined]
    assert read_file_at(remote, "main", "app.yaml") == "image: app:1.0.1\n"
    assert log(remote, "main") == ["bump app:1.0.1", "initial commit"]
    author = git("log", "-1", "--format=%an <%ae>|%cn <%ce>", "refs/heads/main", cwd=remote.path)
    assert author.strip() == "Image Bot <bot@example.com>|Image Bot <bot@example.com>"


def test_push_over_https_with_a_bearer_token(https_remote: GitRemote, tmp_path: Path) -> None:
    auth = GitAuth(bearer_token=https_remote.bearer_token, ca_bundle=https_remote.ca_bundle)
    with Workspace.open(tmp_path, https_remote.url, auth) as ws:
        base = ws.sync(MAIN)
        result = push_with_retry(
            ws, PushTarget("main"), set_image("app.yaml", "app:tok"), OPTIONS,
            base=base, checkout_branch="main",
        )  # fmt: skip
    assert result is not None and head(https_remote, "main") == result.commit


def test_no_commit_when_nothing_changed(bare_remote: GitRemote, tmp_path: Path) -> None:
    before = head(bare_remote, "main")
    apply = set_image("app.yaml", "app:1")
    assert run_cycle(bare_remote, tmp_path, PushTarget("main"), apply) is not None
    after_first = head(bare_remote, "main")
    assert after_first != before
    assert run_cycle(bare_remote, tmp_path, PushTarget("main"), apply) is None
    assert head(bare_remote, "main") == after_first


def test_a_change_set_without_a_file_change_makes_no_commit(
    bare_remote: GitRemote, tmp_path: Path
) -> None:
    def claims_change_but_writes_nothing(root: Path) -> ChangeSet:
        changes = set_image("tmp.yaml", "a:1")(root)
        (root / "tmp.yaml").unlink()
        return changes

    before = head(bare_remote, "main")
    result = run_cycle(bare_remote, tmp_path, PushTarget("main"), claims_change_but_writes_nothing)
    assert result is None
    assert head(bare_remote, "main") == before


def test_push_to_a_new_branch_starts_from_the_checkout(
    bare_remote: GitRemote, tmp_path: Path
) -> None:
    main = head(bare_remote, "main")
    result = run_cycle(bare_remote, tmp_path, PushTarget("auto"), set_image("app.yaml", "app:2"))
    assert result is not None
    assert head(bare_remote, "main") == main
    assert log(bare_remote, "auto") == ["bump app:2", "initial commit"]


def test_push_to_an_existing_branch_continues_it(bare_remote: GitRemote, tmp_path: Path) -> None:
    clone_and_commit(bare_remote, {"auto.txt": "x"}, "earlier work on auto", branch="auto")
    clone_and_commit(bare_remote, {"main.txt": "y"}, "later work on main")
    run_cycle(bare_remote, tmp_path, PushTarget("auto"), set_image("app.yaml", "app:3"))
    assert log(bare_remote, "auto") == ["bump app:3", "earlier work on auto", "initial commit"]
    assert read_file_at(bare_remote, "auto", "auto.txt") == "x"


def test_push_from_a_tag_checkout_to_a_branch(bare_remote: GitRemote, tmp_path: Path) -> None:
    git("tag", "v1.0.0", "main", cwd=bare_remote.path)
    clone_and_commit(bare_remote, {"later": "z"}, "after the tag")
    run_cycle(
        bare_remote,
        tmp_path,
        PushTarget("release"),
        set_image("app.yaml", "app:4"),
        checkout=CheckoutRef(tag="v1.0.0"),
    )
    assert log(bare_remote, "release") == ["bump app:4", "initial commit"]


def test_push_with_a_refspec_updates_both_refs(http_remote: GitRemote, tmp_path: Path) -> None:
    target = PushTarget("auto", refspec="refs/heads/auto:refs/heads/smth/else")
    result = run_cycle(http_remote, tmp_path, target, set_image("app.yaml", "app:5"))
    assert result is not None
    assert head(http_remote, "auto") == head(http_remote, "smth/else") == result.commit  # type: ignore[attr-defined]
    assert (
        result.summary()
        == (  # type: ignore[attr-defined]
            f"pushed commit '{result.commit[:7]}' to branch 'auto' "  # type: ignore[attr-defined]
            "and refspecs 'refs/heads/auto:refs/heads/smth/else'"
        )
    )


def test_push_options_reach_the_server(bare_remote: GitRemote, tmp_path: Path) -> None:
    received = tmp_path / "options.txt"
    hook = bare_remote.path / "hooks" / "post-receive"
    hook.write_text(
        "#!/bin/sh\ni=0\nwhile [ $i -lt ${GIT_PUSH_OPTION_COUNT:-0} ]; do\n"
        f'  eval "echo \\$GIT_PUSH_OPTION_$i" >> {received}\n  i=$((i+1))\ndone\n'
    )
    hook.chmod(0o755)
    target = PushTarget("main", options={"merge_request.create": "", "topic": "bump"})
    run_cycle(bare_remote, tmp_path / "cache", target, set_image("app.yaml", "app:6"))
    assert received.read_text().splitlines() == ["merge_request.create=", "topic=bump"]


def test_a_concurrent_push_is_retried_and_both_changes_land(
    http_remote: GitRemote, tmp_path: Path
) -> None:
    inner = set_image("app.yaml", "app:7")
    calls: list[Path] = []

    def apply_while_another_client_pushes(root: Path) -> ChangeSet:
        calls.append(root)
        if len(calls) == 1:
            clone_and_commit(http_remote, {"other.yaml": "image: other:1\n"}, "other client")
        return inner(root)

    sleeps: list[float] = []
    with Workspace.open(tmp_path, http_remote.url, auth_for(http_remote)) as ws:
        base = ws.sync(CheckoutRef(branch="main"))
        result = push_with_retry(
            ws,
            PushTarget("main"),
            apply_while_another_client_pushes,
            OPTIONS,
            base=base,
            checkout_branch="main",
            backoff=0.25,
            sleep=sleeps.append,
        )
    assert result is not None and result.attempts == 2
    assert sleeps == [0.25]
    assert log(http_remote, "main") == ["bump app:7", "other client", "initial commit"]
    assert read_file_at(http_remote, "main", "other.yaml") == "image: other:1\n"
    assert read_file_at(http_remote, "main", "app.yaml") == "image: app:7\n"


def test_a_remote_that_keeps_moving_gives_up_without_damage(
    bare_remote: GitRemote, tmp_path: Path
) -> None:
    inner = set_image("app.yaml", "app:8")
    counter = iter(range(100))

    def always_raced(root: Path) -> ChangeSet:
        clone_and_commit(bare_remote, {"race.txt": str(next(counter))}, "racer")
        return inner(root)

    sleeps: list[float] = []
    with (
        Workspace.open(tmp_path, bare_remote.url, GitAuth()) as ws,
        pytest.raises(GitError, match="rejected 3 times"),
    ):
        base = ws.sync(CheckoutRef(branch="main"))
        push_with_retry(
            ws, PushTarget("main"), always_raced, OPTIONS, base=base,
            checkout_branch="main", attempts=3, backoff=1.0, sleep=sleeps.append,
        )  # fmt: skip
    assert sleeps == [1.0, 2.0]
    assert "bump app:8" not in log(bare_remote, "main")


def test_a_hook_rejection_is_not_retried_and_pushes_nothing(
    bare_remote: GitRemote, tmp_path: Path
) -> None:
    hook = bare_remote.path / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = head(bare_remote, "main")
    target = PushTarget("main", refspec="refs/heads/main:refs/heads/mirror")
    with pytest.raises(GitError, match="rejected") as info:
        run_cycle(bare_remote, tmp_path, target, set_image("app.yaml", "app:9"))
    assert "rejected 5 times" not in str(info.value)
    assert head(bare_remote, "main") == before
    assert head(bare_remote, "mirror") is None


def test_unreachable_remote_at_push_then_next_run_succeeds(
    bare_remote: GitRemote, tmp_path: Path
) -> None:
    hidden = bare_remote.path.with_name("away.git")

    def apply_then_lose_remote(root: Path) -> ChangeSet:
        bare_remote.path.rename(hidden)
        return set_image("app.yaml", "app:10")(root)

    with pytest.raises(GitError):
        run_cycle(bare_remote, tmp_path, PushTarget("main"), apply_then_lose_remote)
    hidden.rename(bare_remote.path)
    assert log(bare_remote, "main") == ["initial commit"]
    result = run_cycle(bare_remote, tmp_path, PushTarget("main"), set_image("app.yaml", "app:10"))
    assert result is not None
    assert log(bare_remote, "main") == ["bump app:10", "initial commit"]


def test_an_option_in_a_refspec_never_reaches_git_as_an_option(
    bare_remote: GitRemote, tmp_path: Path
) -> None:
    """Before the fix, ``git push URL --receive-pack=<cmd>`` ran <cmd> on the daemon host."""
    pwned = tmp_path / "pwned"
    injected = f"--receive-pack=touch {pwned}; git-receive-pack"
    with pytest.raises(StalledError, match=r"spec\.git\.push\.refspec"):
        run_cycle(bare_remote, tmp_path / "c1", PushTarget("main", refspec=injected),
                  set_image("app.yaml", "app:x"))  # fmt: skip
    # Below the policy check too: git gets ``--`` before the URL and refspecs.
    with Workspace.open(tmp_path / "c2", bare_remote.url, GitAuth()) as ws:
        ws.sync(MAIN)
        with pytest.raises(GitError):
            ws.push(["refs/heads/main:refs/heads/x", injected], {})
    assert not pwned.exists()
    assert head(bare_remote, "x") is None


def test_an_injected_force_cannot_overwrite_another_clients_commit(
    bare_remote: GitRemote, tmp_path: Path
) -> None:
    with Workspace.open(tmp_path, bare_remote.url, GitAuth()) as ws:
        ws.sync(MAIN)
        other = clone_and_commit(bare_remote, {"o": "1"}, "other client")
        ws.set_branch("main", ws.head())
        with pytest.raises(GitError):
            ws.push(["refs/heads/main:refs/heads/main", "--force"], {})
    assert head(bare_remote, "main") == other


def _race_once(remote: GitRemote, tmp_path: Path) -> Path:
    """A pre-receive hook that, on the first push only, lets another real client push to
    ``main`` first: the first push then loses the ref update ("failed to update ref")."""
    other = tmp_path / "other-client"
    git("clone", "--quiet", remote.file_url, str(other))
    git("commit", "--quiet", "--allow-empty", "-m", "other client won the race", cwd=other)
    marker = tmp_path / "raced"
    hook = remote.path / "hooks" / "pre-receive"
    hook.write_text(
        f"#!/bin/sh\ncat >/dev/null\n[ -e {marker} ] && exit 0\ntouch {marker}\n"
        f'env -i PATH="$PATH" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null '
        f"git -C {other} push --quiet origin HEAD:refs/heads/main >&2\n"
    )
    hook.chmod(0o755)
    return marker


@pytest.mark.parametrize("refspec", [None, "refs/heads/main:refs/heads/mirror"])
def test_a_push_that_loses_the_ref_update_race_is_retried(
    http_remote: GitRemote, tmp_path: Path, refspec: str | None
) -> None:
    marker = _race_once(http_remote, tmp_path)
    rejections: list[str] = []
    original = Workspace.push

    def recording_push(self: Workspace, *args: object) -> object:
        updates = original(self, *args)  # type: ignore[arg-type]
        rejections.extend(u.summary for u in updates if u.rejected)
        return updates

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Workspace, "push", recording_push)
        result = run_cycle(http_remote, tmp_path / "cache", PushTarget("main", refspec=refspec),
                           set_image("app.yaml", "app:race"))  # fmt: skip
    assert marker.exists()
    expected = "atomic transaction failed" if refspec else "failed to update ref"
    assert rejections == [f"[remote rejected] ({expected})"] * (2 if refspec else 1)
    assert result is not None and result.attempts == 2  # type: ignore[attr-defined]
    assert log(http_remote, "main")[:2] == ["bump app:race", "other client won the race"]
    if refspec:
        assert head(http_remote, "mirror") == head(http_remote, "main")


def test_a_failed_ref_update_on_an_unmoved_branch_is_a_refusal(
    bare_remote: GitRemote, tmp_path: Path
) -> None:
    """The server fails the update but nobody moved the branch: retrying cannot help."""
    lock = bare_remote.path / "refs" / "heads" / "main.lock"
    hook = bare_remote.path / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\ncat >/dev/null\ntouch {lock}\n")
    hook.chmod(0o755)
    before = head(bare_remote, "main")
    applied: list[Path] = []

    def apply(root: Path) -> ChangeSet:
        applied.append(root)
        return set_image("app.yaml", "app:locked")(root)

    with pytest.raises(GitError, match=r"was rejected: refs/heads/main: .*failed to update ref"):
        run_cycle(bare_remote, tmp_path, PushTarget("main"), apply)
    assert len(applied) == 1
    assert head(bare_remote, "main") == before
