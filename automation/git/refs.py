"""Which commit to check out and which branch to push to (pure).

In: the automation's ``git.checkout.ref`` and the GitRepository's ``ref`` (``CheckoutRef``),
the ``git.push`` branch. Out: the effective checkout ref and the push branch.

Precedence follows fluxcd/pkg's clone code: commit > name > tag > semver > branch; with
nothing set the branch is ``master`` (Flux's ``git.DefaultBranch``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from automation.errors import StalledError
from automation.git.refnames import check_branch, check_full_ref, check_tag

DEFAULT_BRANCH = "master"

SemverSelector = Callable[[str, Sequence[str]], "str | None"]
"""(range, tag names) -> the highest tag in range, or None. Supplied by the step that plans
the git work (`steps.gitplan.highest_tag_in_range`), so this stage needs no semver code."""


class CheckoutError(StalledError):
    """The checkout reference cannot be resolved (bad semver range, no such commit)."""


@dataclass(frozen=True)
class CheckoutRef:
    """A GitRepository-style reference; every field optional."""

    branch: str | None = None
    tag: str | None = None
    semver: str | None = None
    name: str | None = None
    commit: str | None = None

    def __post_init__(self) -> None:
        # Values from a policy file: each must be what git's grammar allows before any of it
        # reaches a refspec on a git command line.
        if self.branch:
            check_branch(self.branch, "checkout branch")
        if self.tag:
            check_tag(self.tag, "checkout tag")
        if self.name:
            check_full_ref(self.name, "checkout ref name")

    def is_empty(self) -> bool:
        return not (self.branch or self.tag or self.semver or self.name or self.commit)

    def describe(self) -> str:
        """Human text of the winning field, e.g. ``branch 'main'``."""
        for label, value in (
            ("commit", self.commit),
            ("ref", self.name),
            ("tag", self.tag),
            ("semver range", self.semver),
            ("branch", self.branch),
        ):
            if value:
                return f"{label} {value!r}"
        return f"branch {DEFAULT_BRANCH!r}"


def effective_checkout(override: CheckoutRef | None, source: CheckoutRef | None) -> CheckoutRef:
    """``git.checkout.ref`` when set, else the GitRepository's ref, else branch ``master``."""
    for ref in (override, source):
        if ref is not None and not ref.is_empty():
            return ref
    return CheckoutRef(branch=DEFAULT_BRANCH)


def resolve_push_branch(push_branch: str | None, checkout: CheckoutRef) -> str:
    """``git.push.branch``, else the checkout branch; error when neither exists."""
    if push_branch:
        return check_branch(push_branch, "spec.git.push.branch")
    if checkout.branch:
        return checkout.branch
    raise StalledError(
        f"push branch not provided and cannot be inferred from the checkout "
        f"{checkout.describe()}: set spec.git.push.branch"
    )
