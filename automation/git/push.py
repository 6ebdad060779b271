"""Apply the update, commit and push, retrying when another client pushed first.

In: a synced ``Workspace``, the ``PushTarget``, ``apply`` (rewrites files under the work
tree, returns the ``ChangeSet``), ``CommitOptions`` and the checkout commit.
Out: ``PushResult`` (commit, branch, refspec, attempts), or None when nothing changed.

One attempt: start from the remote push branch (or the checkout commit when the push branch
is the checkout branch on the first attempt, or does not exist yet), hard-reset, apply,
commit, push. After any rejected push the branch is fetched and compared: when it moved
away from the commit the attempt started from (another client won a race, whether git says
"fetch first", "failed to update ref", "cannot lock ref" or "incorrect old value"), a new
attempt starts from the new head after ``backoff * 2**n`` seconds (``sleep`` is a parameter
so tests do not wait); when it did not move, the rejection is the server's policy and is
reported. Pushes are never forced, and the branch and the refspec go in one atomic push, so
a failure leaves the remote as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from automation.changeset import ChangeSet
from automation.errors import GitError
from automation.git.commit import Author, create_commit
from automation.git.refnames import check_branch, check_push_option, check_push_refspec
from automation.git.signing import SigningKey
from automation.git.workspace import RefUpdate, Workspace

DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF = 0.5


@dataclass(frozen=True)
class PushTarget:
    """Where commits go: ``branch`` plus an optional extra ``refspec`` and push options."""

    branch: str
    refspec: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_branch(self.branch, "push branch")
        if self.refspec is not None:
            check_push_refspec(self.refspec)
        for key, value in self.options.items():
            check_push_option(key, value)

    def refspecs(self) -> list[str]:
        ref = f"refs/heads/{self.branch}"
        return [f"{ref}:{ref}", *([self.refspec] if self.refspec else [])]


@dataclass(frozen=True)
class CommitOptions:
    """Author, message renderer (e.g. ``MessageTemplate``) and optional signing key."""

    author: Author
    message: Callable[[ChangeSet], str]
    signing: SigningKey | None = None


@dataclass(frozen=True)
class PushResult:
    commit: str
    branch: str
    refspec: str | None
    attempts: int
    changes: ChangeSet
    message: str

    def summary(self) -> str:
        """Flux's event text: ``pushed commit 'abc1234' to branch 'main'``."""
        text = f"pushed commit '{self.commit[:7]}' to branch '{self.branch}'"
        if self.refspec:
            text += f" and refspecs '{self.refspec}'"
        return text


Apply = Callable[[Path], ChangeSet]


def _refusal(workspace: Workspace, rejected: list[RefUpdate]) -> GitError:
    reasons = "; ".join(f"{u.destination}: {u.summary}" for u in rejected)
    return GitError(f"push to {workspace.shown_url} was rejected: {reasons}")


def push_with_retry(
    workspace: Workspace,
    target: PushTarget,
    apply: Apply,
    commit_options: CommitOptions,
    *,
    base: str,
    checkout_branch: str | None,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: float = DEFAULT_BACKOFF,
    sleep: Callable[[float], None] = time.sleep,
) -> PushResult | None:
    """Commit the update on the push branch and push it; None when nothing changed.

    ``base`` is the commit ``workspace.sync`` returned for ``checkout_branch`` (None when
    the checkout was by tag, semver or commit).
    """
    # What we believe the remote push branch holds (None: absent). Known without a fetch on
    # the first attempt when the push branch is the branch just synced.
    remote_head: str | None = base
    if target.branch != checkout_branch:
        remote_head = workspace.fetch_branch(target.branch)
    for attempt in range(1, attempts + 1):
        start = remote_head or base
        if workspace.clean_at != start:
            workspace.reset(start)
        workspace.clean_at = None  # apply writes to the work tree
        changes = apply(workspace.path)
        if not changes:
            return None
        message = commit_options.message(changes)
        commit = create_commit(
            workspace.repo,
            start,
            changes.paths,
            message,
            commit_options.author,
            commit_options.signing,
        )
        if commit is None:
            return None
        workspace.set_branch(target.branch, commit)
        rejected = [u for u in workspace.push(target.refspecs(), target.options) if u.rejected]
        if not rejected:
            return PushResult(commit, target.branch, target.refspec, attempt, changes, message)
        # Whatever the server said ("fetch first", "failed to update ref", "cannot lock ref",
        # a hook's message), the question is whether another client moved the branch we
        # built on: then start again from its new head; if not, it is a refusal.
        moved_to = workspace.fetch_branch(target.branch)
        if moved_to == remote_head:
            raise _refusal(workspace, rejected)
        remote_head = moved_to
        if attempt < attempts:
            sleep(backoff * 2 ** (attempt - 1))
    raise GitError(
        f"push to branch {target.branch!r} of {workspace.shown_url} was rejected {attempts} "
        "times: the remote branch kept moving"
    )
