"""Apply in-scope policies' latestRefs to the manifests of a checked-out repository.

In: the repository root, the automation's `update.path`, the refs of the policies the
automation selects (policy name -> LatestRef; the caller has applied the namespace and the
policySelector) and that namespace. Out: `UpdateResult` (the change set, markers not applied,
files that could not be processed, warnings and, on request, unified diffs).

Idempotent and safe to call after every fetch/reset: a file is written only when its text
changed, atomically (see `replace.FileReplacer`), keeping its mode.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from automation.changeset import Change, ChangeSet, ObjectId, build_changeset
from automation.manifests.document import WARNING_KINDS, MarkerNote, TextUpdate, update_text
from automation.manifests.locate import YamlSyntaxError
from automation.manifests.replace import FileReplacer, write_atomically
from automation.manifests.walk import ManifestFile, ProblemFile, screened_files
from automation.reference import LatestRef

PolicyName = str
__all__ = ["UpdateResult", "apply_refs", "unified_diff", "write_atomically"]


@dataclass(frozen=True, slots=True)
class UpdateResult:
    changes: ChangeSet
    skipped_markers: tuple[MarkerNote, ...] = ()
    problem_files: tuple[ProblemFile, ...] = ()
    warnings: tuple[MarkerNote, ...] = ()
    diffs: dict[str, str] = field(default_factory=dict)

    @property
    def invalid_markers(self) -> tuple[MarkerNote, ...]:
        return tuple(n for n in self.skipped_markers if n.kind == "invalid")

    @property
    def ok(self) -> bool:
        """False when a file failed to parse or a marker was malformed."""
        return not self.problem_files and not self.invalid_markers


def apply_refs(
    repo_root: Path,
    update_path: str,
    refs: Mapping[PolicyName, LatestRef],
    *,
    namespace: str,
    dry_run: bool = False,
    diffs: bool | None = None,
    ignore: str | None = None,
) -> UpdateResult:
    """Rewrite marked values under `update_path`; `dry_run` computes everything, writes nothing.

    Raises ManifestError when `update_path` leaves the repository or does not exist.
    `diffs` (default: `dry_run`) also renders a unified diff per changed file. `ignore` adds
    .sourceignore lines (the GitRepository's `spec.ignore`) to the repository's own.
    """
    want_diffs = dry_run if diffs is None else diffs
    entries: list[tuple[str, ObjectId, Change]] = []
    skipped: list[MarkerNote] = []
    warnings: list[MarkerNote] = []
    problems: list[ProblemFile] = []
    rendered: dict[str, str] = {}
    with FileReplacer() as replacer:
        for item in screened_files(repo_root, update_path, ignore):
            if isinstance(item, ProblemFile):
                problems.append(item)
                continue
            outcome = _update_file(item, refs, namespace)
            if isinstance(outcome, ProblemFile):
                problems.append(outcome)
                continue
            text, update = outcome
            for note in update.notes:
                note = _with_path(note, item.path)
                (warnings if note.kind in WARNING_KINDS else skipped).append(note)
            if not update.changed:
                continue
            entries.extend((item.path, obj, change) for obj, change in update.changes)
            if want_diffs:
                rendered[item.path] = unified_diff(item.path, text, update.text)
            if not dry_run:
                replacer.replace(item.real, update.text.encode("utf-8"))
    return UpdateResult(
        build_changeset(entries), tuple(skipped), tuple(problems), tuple(warnings), rendered
    )


def _update_file(
    item: ManifestFile, refs: Mapping[PolicyName, LatestRef], namespace: str
) -> tuple[str, TextUpdate] | ProblemFile:
    try:
        text = item.data.decode("utf-8")
    except UnicodeDecodeError as err:
        return ProblemFile(item.path, None, f"not UTF-8 text (byte {err.start})")
    try:
        return text, update_text(text, refs, namespace=namespace)
    except YamlSyntaxError as err:
        return ProblemFile(item.path, err.line, f"YAML does not parse: {err.message}")


def _with_path(note: MarkerNote, path: str) -> MarkerNote:
    return MarkerNote(path, note.line, note.marker, note.kind, note.message)


def unified_diff(path: str, old: str, new: str) -> str:
    """`diff -u` style text; a last line without newline is marked as git does."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    out: list[str] = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
