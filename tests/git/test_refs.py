"""Which ref to check out and which branch to push to (Flux's precedence, pure)."""

from __future__ import annotations

import pytest

from automation.errors import StalledError
from automation.git.refs import CheckoutRef, effective_checkout, resolve_push_branch


def test_the_override_wins_then_the_source_then_master() -> None:
    override, source = CheckoutRef(tag="v1"), CheckoutRef(branch="main")
    assert effective_checkout(override, source) == override
    assert effective_checkout(CheckoutRef(), source) == source
    assert effective_checkout(None, None) == CheckoutRef(branch="master")


@pytest.mark.parametrize(
    ("ref", "text"),
    [
        (CheckoutRef(branch="main", commit="abc1234"), "commit 'abc1234'"),
        (CheckoutRef(branch="main", name="refs/pull/1/head"), "ref 'refs/pull/1/head'"),
        (CheckoutRef(tag="v1", semver="^1"), "tag 'v1'"),
        (CheckoutRef(branch="main", semver="^1"), "semver range '^1'"),
        (CheckoutRef(branch="main"), "branch 'main'"),
        (CheckoutRef(), "branch 'master'"),
    ],
)
def test_describe_names_the_winning_field(ref: CheckoutRef, text: str) -> None:
    assert ref.describe() == text


def test_push_branch_is_push_branch_else_checkout_branch() -> None:
    assert resolve_push_branch("release", CheckoutRef(branch="main")) == "release"
    assert resolve_push_branch(None, CheckoutRef(branch="main")) == "main"
    with pytest.raises(StalledError, match=r"checkout tag 'v1': set spec\.git\.push\.branch"):
        resolve_push_branch(None, CheckoutRef(tag="v1"))
