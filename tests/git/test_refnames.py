"""Policy values that reach a refspec: git's ref-name grammar, and no options, forces,
deletions or patterns."""

from __future__ import annotations

import pytest

from automation.errors import StalledError
from automation.git import CheckoutRef, PushTarget, resolve_push_branch
from automation.git.refnames import check_push_refspec, ref_problem


@pytest.mark.parametrize(
    "name",
    ["main", "feature/x", "release-1.2", "refs/heads/main", "a@b", "v1.0.0", "HEAD"],
)
def test_valid_ref_names(name: str) -> None:
    assert ref_problem(name) is None


@pytest.mark.parametrize(
    "name",
    [
        "", "-x", "--force", "--receive-pack=sh", "a..b", "a b", "a~1", "a^", "a:b", "a?",
        "a*", "a[", "a\\b", "a\x01", "a\x7f", "@", "a@{1}", "/a", "a/", "a//b", "a.",
        ".a", "a/.b", "a.lock", "a/b.lock/c",
    ],
)  # fmt: skip
def test_invalid_ref_names(name: str) -> None:
    assert ref_problem(name) is not None


def test_ref_names_are_checked_in_linear_time() -> None:
    assert ref_problem("a/" * 200_000 + "b") is None
    assert ref_problem("a" * 500_000 + "..") is not None


@pytest.mark.parametrize(
    ("refspec", "message"),
    [
        ("--receive-pack=touch /tmp/pwned", "'-'"),
        ("--force", "'-'"),
        ("+refs/heads/auto:refs/heads/main", "forced push"),
        (":refs/heads/main", "deletes the remote ref"),
        ("refs/heads/*:refs/heads/*", "the source"),
        ("refs/heads/auto:--exec=x", "the destination '--exec=x' starts with '-'"),
        ("refs/heads/a:refs/heads/b:c", "the destination"),
    ],
)
def test_refspecs_that_inject_force_delete_or_fan_out_are_refused(
    refspec: str, message: str
) -> None:
    with pytest.raises(StalledError, match=r"spec\.git\.push\.refspec") as info:
        PushTarget("auto", refspec=refspec)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "refspec", ["refs/heads/auto:refs/heads/main", "HEAD:refs/for/main", "refs/heads/auto"]
)
def test_ordinary_refspecs_pass(refspec: str) -> None:
    assert check_push_refspec(refspec) == refspec


def test_branches_refs_and_options_from_policy_files_are_checked() -> None:
    with pytest.raises(StalledError, match="push branch '--force' is not a valid branch"):
        PushTarget("--force")
    with pytest.raises(StalledError, match=r"spec\.git\.push\.branch"):
        resolve_push_branch("-b", CheckoutRef(branch="main"))
    with pytest.raises(StalledError, match="checkout branch"):
        CheckoutRef(branch="--upload-pack=touch x")
    with pytest.raises(StalledError, match="checkout tag"):
        CheckoutRef(tag="v1:refs/heads/main")
    with pytest.raises(StalledError, match=r"checkout ref name .main.*refs/"):
        CheckoutRef(name="main")
    with pytest.raises(StalledError, match="control characters"):
        PushTarget("main", options={"topic": "a\nb"})
    assert CheckoutRef(name="refs/pull/420/head").name == "refs/pull/420/head"
