"""One ref listing of a remote, without a fetch: the input of "skip when idle".

In: a URL, its ``GitAuth`` and optional ref patterns. Out: ``{ref name: sha}``, e.g.
``{"refs/heads/main": "3f2a..."}``; annotated tags also list their peeled ``ref^{}`` entry.
Runs ``git ls-remote`` (see command.py for why network work uses the CLI).
"""

from __future__ import annotations

from collections.abc import Sequence

from automation.git.auth import GitAuth
from automation.git.command import remote_session, run_remote

DEFAULT_TIMEOUT = 60.0


def parse_ls_remote(output: str) -> dict[str, str]:
    """``sha<TAB>ref`` lines -> ``{ref: sha}``; symref lines (``ref: ...``) are skipped."""
    heads: dict[str, str] = {}
    for line in output.splitlines():
        sha, sep, ref = line.partition("\t")
        if sep and not sha.startswith("ref:"):
            heads[ref.strip()] = sha.strip()
    return heads


def ls_remote(
    url: str,
    auth: GitAuth,
    patterns: Sequence[str] = (),
    *,
    timeout: float = DEFAULT_TIMEOUT,
    allow_file: bool | None = None,
) -> dict[str, str]:
    """The remote's refs (all, or those matching ``patterns`` as ``git ls-remote`` does)."""
    with remote_session(url, auth, allow_file=allow_file) as remote:
        output = run_remote(
            remote,
            ["ls-remote", "--", url, *patterns],
            cwd=None,
            timeout=timeout,
            what="list refs of",
        )
    return parse_ls_remote(output.stdout)


def branch_head(
    url: str, auth: GitAuth, branch: str, *, timeout: float = DEFAULT_TIMEOUT
) -> str | None:
    """The sha at the tip of ``branch`` on the remote, or None when it does not exist."""
    ref = f"refs/heads/{branch}"
    return ls_remote(url, auth, [ref], timeout=timeout).get(ref)
