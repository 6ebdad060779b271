"""Where the daemon reads its policy files: local paths, or a branch and folder of a git repo.

Syntax of a git source (the `git+` prefix keeps it apart from local paths)::

    git+URL[#BRANCH[:PATH]]     git+https://git.example.com/fleet.git#main:policies
                                git+file:///srv/git/policies.git#main
                                git+ssh://git@host/fleet.git#prod:clusters/prod/images

BRANCH defaults to `main`, PATH to the repository root. In: source strings, secrets paths, a
cache directory. Out: a `LoadedConfig` (the `Config` and the commit of each git source), or
`ConfigErrors` whose file names read `git+URL#BRANCH:file.yaml` instead of the cache path.
Git sources are fetched anonymously (no credential helper): use a URL the daemon can read
without a secret (file://, a public HTTPS remote, or a local mirror).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from automation.config import Config, load_config
from automation.config.documents import yaml_files
from automation.errors import ConfigError, ConfigErrors, UsageError
from automation.git import NO_AUTH, CheckoutRef, Workspace
from automation.logs import redact_url

GIT_PREFIX = "git+"
DEFAULT_BRANCH = "main"


@dataclass(frozen=True)
class GitPolicySource:
    url: str
    branch: str = DEFAULT_BRANCH
    path: str = ""  # folder inside the repository, "" for the root

    def __str__(self) -> str:
        where = f":{self.path}" if self.path else ""
        return f"{GIT_PREFIX}{redact_url(self.url)}#{self.branch}{where}"

    def label(self, relative: str) -> str:
        return f"{GIT_PREFIX}{redact_url(self.url)}#{self.branch}:{relative}"


@dataclass(frozen=True)
class LocalPolicySource:
    path: Path

    def __str__(self) -> str:
        return str(self.path)


PolicySource = GitPolicySource | LocalPolicySource


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    revisions: dict[str, str]  # str(git source) -> commit sha the files were read at
    fingerprint: str = ""  # changes when any source's files may have changed


def parse_source(text: str) -> PolicySource:
    """A `git+URL#BRANCH:PATH` string or a local path; `UsageError` for a malformed one."""
    if not text.startswith(GIT_PREFIX):
        return LocalPolicySource(Path(text))
    url, _, fragment = text[len(GIT_PREFIX) :].partition("#")
    branch, _, path = fragment.partition(":")
    if "://" not in url:
        raise UsageError(f"policy source {text!r}: expected git+SCHEME://HOST/REPO#BRANCH:PATH")
    if urlsplit(url).password:
        raise UsageError(
            f"policy source {redact_url(url)!r}: credentials in the URL are not accepted"
        )
    folder = PurePosixPath(path.strip("/")) if path.strip("/") else PurePosixPath()
    if ".." in folder.parts:
        raise UsageError(
            f"policy source {redact_url(text)!r}: PATH must stay inside the repository"
        )
    return GitPolicySource(url, branch or DEFAULT_BRANCH, str(folder) if folder.parts else "")


def load_sources(
    sources: Sequence[PolicySource], secrets_paths: Sequence[Path], cache: Path
) -> LoadedConfig:
    """Fetch every git source (into `cache`), then load all sources as one `Config`."""
    loaded = _load(sources, secrets_paths, cache, None)
    if loaded is None:  # pragma: no cover - only a `previous` can make it skip
        raise AssertionError("nothing loaded")
    return loaded


def load_if_changed(
    sources: Sequence[PolicySource],
    secrets_paths: Sequence[Path],
    cache: Path,
    previous: LoadedConfig,
) -> LoadedConfig | None:
    """Like `load_sources`, but None without parsing anything when no source changed (same
    commits, same file names, sizes and modification times): a reload of a thousand objects
    then costs a fetch and a few `stat` calls instead of a second of YAML parsing."""
    return _load(sources, secrets_paths, cache, previous)


def _load(
    sources: Sequence[PolicySource],
    secrets_paths: Sequence[Path],
    cache: Path,
    previous: LoadedConfig | None,
) -> LoadedConfig | None:
    """Each git clone stays locked while its files are read, so a concurrent fetch of the
    same source cannot change them under the loader."""
    with ExitStack() as stack:
        paths: list[Path] = []
        revisions: dict[str, str] = {}
        checkouts: dict[Path, GitPolicySource] = {}
        for source in sources:
            if isinstance(source, LocalPolicySource):
                paths.append(source.path)
                continue
            # The operator named this source: a file:// URL is explicit configuration.
            ws = stack.enter_context(Workspace.open(cache, source.url, NO_AUTH, allow_file=True))
            revisions[str(source)] = ws.sync(CheckoutRef(branch=source.branch))
            folder = ws.path / source.path
            if not folder.is_dir():
                raise ConfigError(str(source), None, "", "folder not found in the repository")
            paths.append(folder)
            checkouts[ws.path] = source
        try:
            fingerprint = _fingerprint(paths, secrets_paths, revisions)
            if previous is not None and fingerprint == previous.fingerprint:
                return None
            return LoadedConfig(load_config(paths, secrets_paths), revisions, fingerprint)
        except ConfigErrors as many:
            raise ConfigErrors([_relabel(e, checkouts) for e in many.errors]) from None
        except ConfigError as one:
            raise _relabel(one, checkouts) from None


def _fingerprint(
    paths: Sequence[Path], secrets_paths: Sequence[Path], revisions: dict[str, str]
) -> str:
    """Commits of the git sources; names, sizes and mtimes of every file the loader reads."""
    digest = hashlib.sha256(repr(sorted(revisions.items())).encode())
    for file in yaml_files([*paths, *secrets_paths]):
        stat = file.stat()
        digest.update(f"{file}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _relabel(error: ConfigError, checkouts: dict[Path, GitPolicySource]) -> ConfigError:
    """Name a file in a cached clone by its source, not by the cache directory."""
    for root, source in checkouts.items():
        try:
            relative = Path(error.file).relative_to(root)
        except ValueError:
            continue
        return ConfigError(
            source.label(relative.as_posix()), error.line, error.field, error.message
        )
    return error
