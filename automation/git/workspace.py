"""A cached clone of one remote, brought to an exact commit before every update.

In: a cache directory, the remote URL (without credentials) and its ``GitAuth``.
Out: ``Workspace`` with ``path`` (the work tree), ``sync(ref) -> sha`` (fetch, hard reset,
clean), ``fetch_branch``, ``reset`` and ``push``.

The clone lives in ``cache_root/<sha256(url)[:16]>`` and is reused: later runs fetch only
what is new. The first fetch of a network remote is shallow (depth 1); later fetches are
incremental. An exclusive ``flock`` per clone keeps two runs of the same URL apart.
Fetched branches land in ``refs/heads/<branch>`` and HEAD stays detached, so a sync can
move any branch and the work tree never holds leftovers: untracked and ignored files are
removed after the hard reset.

Network work runs the git CLI (see command.py); local work (reset, status, index, commit)
uses pygit2 in the calling thread. Do not run this next to CPU-bound Python threads in the
same process if you swap the CLI for pygit2 network calls (see command.py: its callbacks
slow down next to busy Python threads).
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pygit2

from automation.errors import GitError
from automation.git.auth import GitAuth
from automation.git.command import failure, remote_session, run_git, run_remote
from automation.git.refnames import check_tag
from automation.git.refs import (
    DEFAULT_BRANCH,
    CheckoutError,
    CheckoutRef,
    SemverSelector,
)
from automation.git.remote_heads import ls_remote
from automation.git.transport import check_url
from automation.logs import redact_url

DEFAULT_TIMEOUT = 60.0
_SHA = re.compile(r"[0-9a-fA-F]{7,40}")
_MISSING_REF = ("couldn't find remote ref", "not our ref", "no such remote ref")


@dataclass(frozen=True)
class RefUpdate:
    """One line of ``git push --porcelain``: ``flag`` is ``!`` for a rejected ref."""

    flag: str
    source: str
    destination: str
    summary: str

    @property
    def rejected(self) -> bool:
        return self.flag == "!"


def cache_key(url: str) -> str:
    return hashlib.sha256(redact_url(url).encode()).hexdigest()[:16]


def parse_push_porcelain(output: str) -> list[RefUpdate]:
    updates = []
    for line in output.splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and len(fields[0]) == 1:
            source, _, destination = fields[1].partition(":")
            updates.append(RefUpdate(fields[0], source, destination, fields[2]))
    return updates


class Workspace:
    """Use through ``Workspace.open``; one instance per run and thread."""

    def __init__(
        self, directory: Path, url: str, auth: GitAuth, timeout: float, allow_file: bool
    ) -> None:
        self.path = directory
        self.url = url
        self.auth = auth
        self.timeout = timeout
        self.allow_file = allow_file
        self.repo = pygit2.Repository(str(directory))
        self.clean_at: str | None = None  # the commit the work tree was last reset to

    @classmethod
    @contextmanager
    def open(
        cls,
        cache_root: Path,
        url: str,
        auth: GitAuth,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        allow_file: bool | None = None,
    ) -> Iterator[Workspace]:
        """The cached clone of ``url`` (created empty when new), locked while in use.

        ``allow_file``: see ``transport.check_url`` (None: as the operator configured)."""
        allowed = check_url(url, allow_file=allow_file).scheme == "file" or bool(allow_file)
        cache_root.mkdir(parents=True, exist_ok=True)
        directory = cache_root / cache_key(url)
        with (cache_root / f"{directory.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (directory / ".git").is_dir():
                shutil.rmtree(directory, ignore_errors=True)
                pygit2.init_repository(str(directory))
            yield cls(directory, url, auth, timeout, allowed)

    # -- network -------------------------------------------------------------------------

    def _fetch(self, refspecs: Sequence[str], *, full: bool = False) -> None:
        """Fetch; shallow (depth 1) when the local ref is new and the remote is not local."""
        args = ["fetch", "--no-tags", "--no-write-fetch-head", "--quiet"]
        local_refs = [spec.rpartition(":")[2] for spec in refspecs]
        new = all(ref not in self.repo.references for ref in local_refs)
        if full and self.repo.is_shallow:
            args.append("--unshallow")
        elif not full and new and not self.url.startswith("file:"):
            args.append("--depth=1")
        with remote_session(self.url, self.auth, allow_file=self.allow_file) as remote:
            run_remote(
                remote,
                [*args, "--", self.url, *refspecs],
                cwd=self.path,
                timeout=self.timeout,
                what="fetch from",
            )

    def fetch_branch(self, branch: str, *, full: bool = False) -> str | None:
        """Fetch ``branch`` into ``refs/heads/<branch>``; its sha, or None when missing.

        ``full`` fetches its whole history (unshallowing the clone), so ancestry questions
        about it have true answers."""
        ref = f"refs/heads/{branch}"
        try:
            self._fetch([f"+{ref}:{ref}"], full=full)
        except GitError as err:
            if any(text in str(err) for text in _MISSING_REF):
                return None
            raise
        return str(self.repo.references[ref].target)

    def _fetch_ref(
        self, source: str, local: str, what: str, *, full: bool = False, peel: bool = True
    ) -> str:
        try:
            self._fetch([f"+{source}:{local}"], full=full)
        except GitError as err:
            if any(text in str(err) for text in _MISSING_REF):
                raise CheckoutError(f"{what} not found in {self.shown_url}") from None
            raise
        return str(self.repo.references[local].peel(pygit2.Commit).id) if peel else ""

    def _resolve_semver(self, ref: CheckoutRef, select: SemverSelector | None) -> str:
        if select is None:
            raise CheckoutError(f"checkout semver range {ref.semver!r}: no tag selector given")
        tags = ls_remote(
            self.url, self.auth, ["refs/tags/*"], timeout=self.timeout, allow_file=self.allow_file
        )
        names = sorted({r.removeprefix("refs/tags/").removesuffix("^{}") for r in tags})
        chosen = select(ref.semver or "", names)
        if chosen is None:
            raise CheckoutError(f"no tag in {redact_url(self.url)} matches semver {ref.semver!r}")
        return chosen

    def _fetch_commit(self, ref: CheckoutRef) -> str:
        commit = ref.commit or ""
        if not _SHA.fullmatch(commit):
            raise CheckoutError(f"checkout commit {commit!r} is not a hexadecimal commit sha")
        branch = f"refs/heads/{ref.branch}" if ref.branch else "refs/heads/*"
        self._fetch_ref(branch, branch, f"branch {ref.branch!r}", full=True, peel=False)
        try:
            return str(self.repo.revparse_single(commit).peel(pygit2.Commit).id)
        except (KeyError, ValueError, pygit2.GitError):
            raise CheckoutError(f"commit {commit} not found in {self.shown_url}") from None

    def _fetch_checkout(self, ref: CheckoutRef, select: SemverSelector | None) -> str:
        if ref.commit:
            return self._fetch_commit(ref)
        if ref.name:
            return self._fetch_ref(ref.name, "refs/automation/checkout", f"ref {ref.name!r}")
        tag = ref.tag or (self._resolve_semver(ref, select) if ref.semver else None)
        if tag:
            check_tag(tag, "checkout tag")  # also one a (hostile) git host listed for semver
            return self._fetch_ref(f"refs/tags/{tag}", f"refs/tags/{tag}", f"tag {tag!r}")
        branch = ref.branch or DEFAULT_BRANCH
        sha = self.fetch_branch(branch)
        if sha is None:
            raise CheckoutError(f"branch {branch!r} not found in {redact_url(self.url)}")
        return sha

    def sync(self, ref: CheckoutRef, *, select_semver: SemverSelector | None = None) -> str:
        """Fetch ``ref``, hard-reset the work tree to it, remove leftovers; return the sha.

        A ``semver`` ref needs ``select_semver`` to pick the tag among the remote's tags.
        """
        sha = self._fetch_checkout(ref, select_semver)
        self.reset(sha)
        return sha

    def push(
        self,
        refspecs: Sequence[str],
        options: Mapping[str, str],
        *,
        leases: Mapping[str, str] | None = None,
    ) -> list[RefUpdate]:
        """Push ``refspecs`` (atomically when several); the per-ref outcome.

        ``leases`` (ref -> expected sha, '' for "must not exist") force those refs only,
        and only while the remote still holds what we last saw (``--force-with-lease``).
        Raises ``GitError``/``GitAuthError`` for failures other than rejected refs.
        """
        args = ["push", "--porcelain"]
        if len(refspecs) > 1:
            args.append("--atomic")
        args += [f"--force-with-lease={ref}:{sha}" for ref, sha in sorted((leases or {}).items())]
        args += [f"--push-option={key}={value}" for key, value in sorted(options.items())]
        with remote_session(self.url, self.auth, allow_file=self.allow_file) as remote:
            what = "push to"
            done = run_remote(
                remote,
                [*args, "--", self.url, *refspecs],
                cwd=self.path,
                timeout=self.timeout,
                what=what,
                ok_codes=(0, 1),
            )
        updates = parse_push_porcelain(done.stdout)
        if done.returncode != 0 and not any(u.rejected for u in updates):
            raise failure(f"{what} {remote.shown_url}", done.stderr)
        return updates

    # -- local ---------------------------------------------------------------------------

    def reset(self, sha: str) -> None:
        """Detach HEAD at ``sha``, hard-reset index and work tree, delete untracked files.

        The git CLI does this faster than pygit2 on a 10,000-file tree (20-30 ms against
        45-100 ms for ``Repository.reset``; benchmarks/git.py), so the CLI it is.
        """
        if not _SHA.fullmatch(sha):
            raise GitError(f"reset: {sha!r} is not a commit sha")
        for args in (["checkout", "--quiet", "--force", "--detach", sha], ["clean", "-ffdxq"]):
            run_git(args, cwd=self.path, what=f"git {args[0]} in the workspace")
        self.repo.index.read(True)
        self.clean_at = sha

    def set_branch(self, branch: str, sha: str) -> None:
        """Point the local ``refs/heads/<branch>`` at ``sha`` (the source of push refspecs)."""
        self.repo.references.create(f"refs/heads/{branch}", pygit2.Oid(hex=sha), force=True)
        self.repo.set_head(pygit2.Oid(hex=sha))
        self.clean_at = None

    @property
    def shown_url(self) -> str:
        return redact_url(self.url)

    def head(self) -> str:
        return str(self.repo.head.target)
