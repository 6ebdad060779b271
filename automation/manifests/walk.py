"""Which files an update reads: YAML files under `update.path` that mention `"$imagepolicy"`.

In: the repository root and the automation's `update.path`. Out: `ManifestFile`s (path
relative to the root, where the bytes live, the bytes) and `ProblemFile`s for files that
could not be considered (a symlink leaving the repository, an unreadable file).

Rules: the path must resolve inside the repository; `.git` is skipped; `.sourceignore` files
(gitignore syntax, at the root, above `update.path` or in any walked directory) are honoured;
only `*.yaml`, `*.yml` and files named `Kustomization` are read, and only those whose bytes
contain the token are handed on. Symlinked files are followed when their target is inside the
repository (dangling ones are skipped, as in Flux); symlinked directories are not walked.
A followed symlink is handed on under its target's path, and each file only once: the
target is what gets written, so it is what must be staged and committed (staging the
unchanged link would commit nothing and lose the edit). A link into `.git` is refused.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pathspec

from automation.errors import ManifestError
from automation.manifests.markers import SCREEN_TOKEN
from automation.manifests.nesting import MAX_BYTES, too_large

IGNORE_FILE = ".sourceignore"
_SKIP_DIRS = frozenset({".git"})


@dataclass(frozen=True, slots=True)
class ManifestFile:
    path: str  # of the bytes (a symlink's target), relative to the root, `/`-separated
    real: Path  # the same file as an absolute path; writes go here
    data: bytes


@dataclass(frozen=True, slots=True)
class ProblemFile:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


def is_manifest_name(name: str) -> bool:
    return name.endswith((".yaml", ".yml")) or name == "Kustomization"


def resolve_update_path(repo_root: Path, update_path: str) -> tuple[Path, Path]:
    """(resolved root, resolved target). Refuses a path that leaves the repository."""
    root = repo_root.resolve()
    if PurePosixPath(update_path).is_absolute() or Path(update_path).is_absolute():
        raise ManifestError(f"update.path {update_path!r} must be relative to the repository")
    target = (root / update_path).resolve()
    if target != root and root not in target.parents:
        raise ManifestError(f"update.path {update_path!r} resolves outside the repository")
    if not target.exists():
        raise ManifestError(f"update.path {update_path!r} does not exist in the repository")
    return root, target


def screened_files(
    repo_root: Path, update_path: str, extra_ignore: str | None = None
) -> Iterator[ManifestFile | ProblemFile]:
    """Every manifest under `update.path` holding the marker token (names sorted per directory).

    `extra_ignore` is a GitRepository's `spec.ignore`: .sourceignore lines relative to the
    root, placed after the repository's own (source-controller appends them the same way).
    """
    root, target = resolve_update_path(repo_root, update_path)
    ignore = _IgnoreRules(root)
    for directory in reversed(target.parents):
        if directory == root or root in directory.parents:
            ignore.load(directory)  # the ignore files above update.path apply too
    if extra_ignore:
        ignore.add_last(extra_ignore)
    walker = _Walker(str(root), ignore)
    if target.is_file():
        yield from walker.consider(str(target), target.is_symlink())
    else:
        yield from walker.walk(str(target))


class _Walker:
    """A scandir walk on plain strings: the walk must cost little more than reading the files."""

    def __init__(self, root: str, ignore: _IgnoreRules) -> None:
        self.root = root
        self.root_path = Path(root)
        self.ignore = ignore
        self.seen: set[str] = set()  # real paths handed on, so a linked file comes once

    def rel(self, path: str) -> str:
        return path[len(self.root) + 1 :].replace(os.sep, "/")

    def walk(self, top: str) -> Iterator[ManifestFile | ProblemFile]:
        pending = [top]
        while pending:
            directory = pending.pop()
            try:
                with os.scandir(directory) as listing:
                    entries = sorted(listing, key=_entry_name)
            except OSError as err:
                yield ProblemFile(self.rel(directory), None, f"cannot list: {err.strerror}")
                continue
            if any(entry.name == IGNORE_FILE for entry in entries):
                self.ignore.load(Path(directory))
            subdirs: list[str] = []
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in _SKIP_DIRS and not self.ignored(entry.path, True):
                        subdirs.append(entry.path)
                elif is_manifest_name(entry.name):
                    yield from self.consider(entry.path, entry.is_symlink())
            pending.extend(reversed(subdirs))

    def ignored(self, path: str, is_dir: bool) -> bool:
        spec = self.ignore.spec
        if spec is None:
            return False
        rel = self.rel(path)
        return spec.match_file(rel + "/" if is_dir else rel)

    def consider(self, path: str, is_symlink: bool) -> Iterator[ManifestFile | ProblemFile]:
        """Read and screen one file. Ignore rules are checked only for files that hold the
        token: matching costs ~12 us a path, reading a small file less."""
        real = path
        if is_symlink:
            if self.ignored(path, False):
                return
            try:
                resolved = Path(path).resolve(strict=True)
            except (OSError, RuntimeError):
                return  # dangling or looping symlink: skipped, as in Flux
            if self.root_path not in resolved.parents:
                yield ProblemFile(self.rel(path), None, "symlink leads outside the repository")
                return
            if self.rel(str(resolved)).split("/")[0] in _SKIP_DIRS:
                yield ProblemFile(self.rel(path), None, "symlink leads into .git")
                return
            if not resolved.is_file():
                return
            real = str(resolved)
        if real in self.seen:
            return
        try:
            with open(real, "rb") as handle:
                data = handle.read(MAX_BYTES + 1)  # never more than we would parse
        except OSError as err:
            yield ProblemFile(self.rel(path), None, f"cannot read: {err.strerror}")
            return
        if (too_big := too_large(len(data))) is not None:
            yield ProblemFile(self.rel(path), None, too_big)
            return
        if SCREEN_TOKEN in data and (is_symlink or not self.ignored(path, False)):
            self.seen.add(real)
            yield ManifestFile(self.rel(real), Path(real), data)


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


class _IgnoreRules:
    """`.sourceignore` files, every pattern rebased onto the repository root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lines: list[str] = []
        self.last: list[str] = []  # always after every file's lines
        self.spec: pathspec.GitIgnoreSpec | None = None

    def load(self, directory: Path) -> None:
        file = directory / IGNORE_FILE
        if not file.is_file():
            return
        base = _rel(self.root, directory) if directory != self.root else ""
        self.add(file.read_text(encoding="utf-8", errors="replace"), base)

    def add(self, text: str, base: str) -> None:
        """gitignore lines written in directory `base` (relative to the root; "" for it)."""
        rebased = [r for r in (rebase_pattern(line, base) for line in text.splitlines()) if r]
        if rebased:
            self.lines.extend(rebased)
            self.spec = pathspec.GitIgnoreSpec.from_lines([*self.lines, *self.last])

    def add_last(self, text: str) -> None:
        """Root-relative lines that stay after the files' lines, however many are loaded."""
        self.last = [r for r in (rebase_pattern(line, "") for line in text.splitlines()) if r]
        if self.last:
            self.spec = pathspec.GitIgnoreSpec.from_lines([*self.lines, *self.last])


def rebase_pattern(line: str, base: str) -> str | None:
    """A gitignore line from directory `base` as a pattern relative to the repository root."""
    if not line.strip() or line.startswith("#"):
        return None
    if not base:
        return line
    negate = line.startswith("!")
    pattern = line[1:] if negate else line
    anchored = "/" in pattern.rstrip("/")
    rebased = f"{base}/{pattern.lstrip('/')}" if anchored else f"{base}/**/{pattern}"
    return ("!" if negate else "") + rebased
