"""Apply the update, commit and push, retrying when another client pushed first.

In: a synced ``Workspace``, the ``PushTarget``, ``apply`` (rewrites files under the work
tree, returns the ``ChangeSet``), ``CommitOptions`` and the checkout commit.
Out: ``PushResult`` (commit, branch, refspec, attempts), or None when nothing changed.

One attempt: start from the remote push branch (or the checkout commit when the push branch
is the checkout branch on the first attempt, or does not exist yet), hard-reset, apply,
commit, push. A push rejected because the remote moved (non-fast-forward) starts a new
attempt from the new remote head after ``backoff * 2**n`` seconds (``sleep`` is a
parameter so tests do not wait). Pushes are never forced, and the branch and the refspec go
in one atomic push, so a failure leaves the remote as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from automation.changeset import ChangeSet
from automation.errors import GitError
from automation.git.commit import Author, create_commit
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


def _start_point(workspace: Workspace, target: PushTarget, base: str, reuse_base: bool) -> str:
    if reuse_base:
        return base
    return workspace.fetch_branch(target.branch) or base


def _rejections(updates: list[RefUpdate]) -> list[RefUpdate]:
    return [u for u in updates if u.rejected]


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
    for attempt in range(1, attempts + 1):
        reuse_base = attempt == 1 and target.branch == checkout_branch
        start = _start_point(workspace, target, base, reuse_base)
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
        rejected = _rejections(workspace.push(target.refspecs(), target.options))
        if not rejected:
            return PushResult(commit, target.branch, target.refspec, attempt, changes, message)
        if not all(u.out_of_date for u in rejected):
            reasons = "; ".join(f"{u.destination}: {u.summary}" for u in rejected)
            raise GitError(f"push to {workspace.shown_url} was rejected: {reasons}")
        if attempt < attempts:
            sleep(backoff * 2 ** (attempt - 1))
    raise GitError(
        f"push to branch {target.branch!r} of {workspace.shown_url} was rejected {attempts} "
        "times: the remote branch kept moving"
    )
