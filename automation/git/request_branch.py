"""The branch a pull/merge request is opened from: committed on the checkout, kept fresh.

In: a synced ``Workspace`` (at ``base``, the checkout branch's head), ``apply``, the commit
options, ``name_for`` (renders the branch name from the change set) and the checkout
branch. Out: ``RequestBranch`` (branch, commit, whether it was pushed or rebuilt) or None
when the checkout branch already holds every update.

The update is applied on ``base`` first, so the branch name can depend on what changed
(one branch per change set). Then, for that branch on the remote:

- missing: commit on ``base``, push with a lease that it still does not exist;
- fresh (it contains ``base``): apply on its head; commit and fast-forward when something
  is still missing, else leave it (the open request is already right);
- stale (the checkout moved on without it): rebuild from ``base`` and push with
  ``--force-with-lease`` on that one branch, expecting exactly the head we fetched, so a
  human's push in between is never overwritten.

Only the automation's own branch is ever forced: a name equal to the checkout branch is
refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pygit2

from automation.changeset import ChangeSet
from automation.errors import GitError, StalledError
from automation.git.commit import create_commit
from automation.git.push import Apply, CommitOptions
from automation.git.refnames import check_branch
from automation.git.workspace import Workspace


@dataclass(frozen=True)
class RequestBranch:
    branch: str
    commit: str
    changes: ChangeSet  # everything the branch holds over the checkout (for the request)
    message: str
    pushed: bool
    rebuilt: bool

    def summary(self) -> str:
        verb = "rebuilt" if self.rebuilt else "pushed"
        if not self.pushed:
            return f"branch '{self.branch}' is up to date at '{self.commit[:7]}'"
        return f"{verb} commit '{self.commit[:7]}' to branch '{self.branch}'"


def _contains(workspace: Workspace, head: str, base: str) -> bool:
    if head == base:
        return True
    return bool(workspace.repo.descendant_of(pygit2.Oid(hex=head), pygit2.Oid(hex=base)))


def _commit(
    workspace: Workspace, start: str, changes: ChangeSet, options: CommitOptions
) -> tuple[str, str] | None:
    message = options.message(changes)
    commit = create_commit(
        workspace.repo, start, changes.paths, message, options.author, options.signing
    )
    return None if commit is None else (commit, message)


def push_request_branch(
    workspace: Workspace,
    base: str,
    apply: Apply,
    options: CommitOptions,
    name_for: Callable[[ChangeSet], str],
    checkout_branch: str,
) -> RequestBranch | None:
    if workspace.clean_at != base:
        workspace.reset(base)
    workspace.clean_at = None
    changes = full = apply(workspace.path)
    if not changes:
        return None
    branch = check_branch(name_for(changes), "ChangeRequest spec.branch")
    if branch == checkout_branch:
        raise StalledError(
            f"the request branch {branch!r} is the checkout branch; it must be its own branch"
        )
    remote = workspace.fetch_branch(branch, full=True)
    rebuilt = remote is not None and not _contains(workspace, remote, base)
    if remote is not None and not rebuilt:
        workspace.reset(remote)
        workspace.clean_at = None
        changes = apply(workspace.path)
        if not changes:
            return RequestBranch(branch, remote, full, "", pushed=False, rebuilt=False)
        start = remote
    else:
        start = base  # the work tree already holds the update applied on base
    made = _commit(workspace, start, changes, options)
    if made is None:
        return RequestBranch(branch, start, full, "", pushed=False, rebuilt=False)
    commit, message = made
    ref = f"refs/heads/{branch}"
    workspace.set_branch(branch, commit)
    lease = {ref: remote or ""} if remote is None or rebuilt else None
    rejected = [u for u in workspace.push([f"{ref}:{ref}"], {}, leases=lease) if u.rejected]
    if rejected:
        raise GitError(
            f"push to branch {branch!r} of {workspace.shown_url} was rejected "
            f"({rejected[0].summary}); it moved since it was fetched, next run will retry"
        )
    return RequestBranch(branch, commit, full, message, pushed=True, rebuilt=rebuilt)
