"""Record the work tree as one commit (pygit2, in-process: no network, no callbacks).

In: a repository whose work tree holds the rewritten files, the parent commit, the author
and an optional ``SigningKey``. Out: the new commit's sha, or None when the tree equals the
parent's (nothing to commit). The commit is created on the parent; the caller moves refs.

Staging adds exactly the files of the change set (paths relative to the repository root),
so nothing but the update can be committed, and no status scan of the whole tree is needed
(a scan costs 10-20 ms on 10,000 files; adding one path is well under a millisecond).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pygit2

from automation.errors import StalledError
from automation.git.signing import SigningKey, sign


@dataclass(frozen=True)
class Author:
    name: str
    email: str

    def __post_init__(self) -> None:
        if not self.email.strip():
            raise StalledError("spec.git.commit.author.email is required")
        for text in (self.name, self.email):
            if any(c in text for c in "<>\n"):
                raise StalledError(f"commit author {text!r} must not contain '<', '>' or newlines")


def stage_paths(repo: pygit2.Repository, paths: Sequence[str]) -> pygit2.Oid:
    """Add (or remove, when gone) each path in the index; return the index's tree id."""
    index = repo.index
    index.read(False)
    root = Path(repo.workdir)
    for path in paths:
        if (root / path).is_symlink():
            # The edit went to the link's target; staging the unchanged link would commit
            # nothing and report success for a lost edit.
            raise StalledError(f"{path} is a symlink: the change set must name the file written")
        if (root / path).is_file():
            index.add(path)
        elif path in index:
            index.remove(path)
    index.write()
    tree: pygit2.Oid = index.write_tree()
    return tree


def create_commit(
    repo: pygit2.Repository,
    parent: str,
    paths: Sequence[str],
    message: str,
    author: Author,
    signing: SigningKey | None = None,
    now: float | None = None,
) -> str | None:
    """Commit ``paths`` of the work tree on ``parent``; None when that changes nothing."""
    tree = stage_paths(repo, paths)
    parent_commit = repo.revparse_single(parent).peel(pygit2.Commit)
    if tree == parent_commit.tree_id:
        return None
    when = int(time.time() if now is None else now)
    person = pygit2.Signature(author.name or author.email, author.email, when, 0)
    if signing is None:
        oid = repo.create_commit(None, person, person, message, tree, [parent_commit.id])
        return str(oid)
    # pygit2's stub says Oid; the call returns the commit text (str).
    payload = str(repo.create_commit_string(person, person, message, tree, [parent_commit.id]))
    signature = sign(payload.encode(), signing)
    return str(repo.create_commit_with_signature(payload, signature))
