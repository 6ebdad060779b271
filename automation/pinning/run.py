"""`pin` end to end: find image sites in files, resolve them once each, rewrite the files.

In: files and directories (directories are walked for `*.yaml`, `*.yml` and `Kustomization`,
skipping `.git` and hidden directories), a `RegistryAccess`, `dry_run`. Out: a `PinReport`.
Files are written atomically and only when their text changed; a reference that could not be
resolved leaves its site alone while the others are still pinned.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from automation.errors import UsageError
from automation.manifests.apply import unified_diff, write_atomically
from automation.manifests.images import ImageSite, find_images
from automation.manifests.locate import YamlSyntaxError
from automation.manifests.nesting import MAX_BYTES, too_large
from automation.manifests.walk import is_manifest_name
from automation.pinning.access import RegistryAccess
from automation.pinning.edits import Edit, apply_edits, edit_for
from automation.pinning.lookups import Lookup, Resolved, lookup_for, resolve_lookups
from automation.pinning.report import PinChange, PinNote, PinReport
from automation.reference import InvalidImageNameError


@dataclass(frozen=True, slots=True)
class _Scanned:
    path: Path
    name: str  # as shown in reports
    text: str
    sites: tuple[tuple[ImageSite, Lookup], ...]


async def pin_paths(
    paths: Sequence[Path], access: RegistryAccess, *, dry_run: bool = False
) -> PinReport:
    """Pin every image reference in `paths`. Raises UsageError for a path that does not exist."""
    notes: list[PinNote] = []
    scanned = [_scan(path, name, notes) for path, name in manifest_files(paths)]
    files = [s for s in scanned if s is not None]
    lookups = {lookup for f in files for _, lookup in f.sites}
    answers = await resolve_lookups(lookups, access) if lookups else {}
    changes: list[PinChange] = []
    diffs: dict[str, str] = {}
    written: list[str] = []
    for item in files:
        edits = _edits(item, answers, notes)
        if not edits:
            continue
        new_text = apply_edits(item.text, edits)
        changes.extend(PinChange(item.name, e.line, e.old, e.new) for e in edits)
        if dry_run:
            diffs[item.name] = unified_diff(item.name, item.text, new_text)
        else:
            write_atomically(item.path, new_text.encode("utf-8"))
            written.append(item.name)
    order = {"problem": 0, "unresolved": 1, "skipped": 2, "verified": 3}
    notes.sort(key=lambda n: (order[n.kind], n.file, n.line))
    return PinReport(tuple(changes), tuple(notes), diffs, tuple(written))


def manifest_files(paths: Sequence[Path]) -> Iterator[tuple[Path, str]]:
    """(path, display name) of each YAML file: given files as given, directories walked in
    sorted order. A file named explicitly is read whatever its extension."""
    seen: set[Path] = set()
    for given in paths:
        if not given.exists():
            raise UsageError(f"{given}: no such file or directory")
        for path in _walk(given):
            real = path.resolve()  # writes go to a symlink's target, never replace the link
            if real not in seen:
                seen.add(real)
                yield real, str(path)


def _walk(path: Path) -> Iterator[Path]:
    if not path.is_dir():
        yield path
        return
    for root, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        yield from (Path(root, name) for name in sorted(names) if is_manifest_name(name))


def _scan(path: Path, name: str, notes: list[PinNote]) -> _Scanned | None:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # never more than we would parse
        if (too_big := too_large(len(data))) is not None:
            notes.append(PinNote("problem", name, 0, "", too_big))
            return None
        text = data.decode("utf-8")
        sites = find_images(text)
    except OSError as err:
        notes.append(PinNote("problem", name, 0, "", f"cannot read: {err.strerror}"))
        return None
    except UnicodeDecodeError as err:
        notes.append(PinNote("problem", name, 0, "", f"not UTF-8 text (byte {err.start})"))
        return None
    except YamlSyntaxError as err:
        message = f"YAML does not parse: {err.message}"
        notes.append(PinNote("problem", name, err.line or 0, "", message))
        return None
    kept: list[tuple[ImageSite, Lookup]] = []
    for site in sites:
        if site.problem:
            notes.append(PinNote("skipped", name, site.line, site.reference, site.problem))
            continue
        try:
            kept.append((site, lookup_for(site.reference)))
        except InvalidImageNameError as err:
            reason = f"not an image reference ({err.reason})"
            notes.append(PinNote("skipped", name, site.line, site.reference, reason))
    return _Scanned(path, name, text, tuple(kept))


def _edits(item: _Scanned, answers: dict[Lookup, Resolved], notes: list[PinNote]) -> list[Edit]:
    edits: list[Edit] = []
    for site, lookup in item.sites:
        answer = answers[lookup]
        if answer.error:
            notes.append(PinNote("unresolved", item.name, site.line, site.reference, answer.error))
        elif lookup.verify:
            notes.append(PinNote("verified", item.name, site.line, site.reference, "digest exists"))
        else:
            edit = edit_for(site, answer.digest)
            if edit is not None:
                edits.append(edit)
    return edits
