"""The result of an update: file -> object -> changes, from which commit messages are made.

Values only. Iteration is deterministic: files sorted by path, objects in the order they first
appear in their file, changes in document order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class ObjectId:
    """The Kubernetes identity of a YAML document; empty strings where a field is missing."""

    api_version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""

    def __str__(self) -> str:
        """`Kind/namespace/name` (Flux's commit-message spelling)."""
        return f"{self.kind}/{self.namespace}/{self.name}"

    def to_dict(self) -> dict[str, str]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }


@dataclass(frozen=True, slots=True)
class Change:
    """One rewritten scalar. `setter` is the marker's policy reference, e.g. `ns:app:tag`."""

    old: str
    new: str
    setter: str
    line: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"old": self.old, "new": self.new, "setter": self.setter, "line": self.line}


@dataclass(frozen=True, slots=True)
class ObjectChanges:
    object: ObjectId
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class FileChanges:
    path: str  # relative to the repository root, `/`-separated
    objects: tuple[ObjectChanges, ...]


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Every change of one run. Empty (falsy) when nothing changed."""

    files: tuple[FileChanges, ...] = field(default=())

    def __bool__(self) -> bool:
        return any(obj.changes for f in self.files for obj in f.objects)

    def __iter__(self) -> Iterator[tuple[str, ObjectId, Change]]:
        for f in self.files:
            for obj in f.objects:
                for change in obj.changes:
                    yield f.path, obj.object, change

    def __len__(self) -> int:
        return sum(len(obj.changes) for f in self.files for obj in f.objects)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.files)

    def objects(self) -> tuple[ObjectId, ...]:
        """Every changed object once, in iteration order."""
        seen: dict[ObjectId, None] = {}
        for _, obj, _ in self:
            seen.setdefault(obj, None)
        return tuple(seen)

    def new_values(self) -> tuple[str, ...]:
        """Every distinct new value once (the "Images:" section of a commit message)."""
        return tuple(dict.fromkeys(change.new for change in self._changes()))

    def _changes(self) -> Iterator[Change]:
        for _, _, change in self:
            yield change

    def merge(self, other: ChangeSet) -> ChangeSet:
        """Both change sets in one; a file in both keeps this one's changes, then other's."""
        return build_changeset(list(self) + list(other))

    def to_dict(self) -> dict[str, object]:
        return {
            "files": [
                {
                    "path": f.path,
                    "objects": [
                        {**obj.object.to_dict(), "changes": [c.to_dict() for c in obj.changes]}
                        for obj in f.objects
                    ],
                }
                for f in self.files
            ]
        }


def build_changeset(entries: Iterable[tuple[str, ObjectId, Change]]) -> ChangeSet:
    """Group `(path, object, change)` triples; files sorted, all else in arrival order."""
    grouped: dict[str, dict[ObjectId, list[Change]]] = {}
    for path, obj, change in entries:
        grouped.setdefault(path, {}).setdefault(obj, []).append(change)
    return ChangeSet(
        tuple(
            FileChanges(
                path,
                tuple(ObjectChanges(obj, tuple(chs)) for obj, chs in grouped[path].items()),
            )
            for path in sorted(grouped)
        )
    )
