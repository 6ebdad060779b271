"""What a pin run did: changes (file, line, old -> new), verified pins, skipped values,
references that could not be resolved and files that could not be read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

NoteKind = Literal["verified", "skipped", "unresolved", "problem"]


@dataclass(frozen=True, slots=True)
class PinChange:
    file: str
    line: int
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.old} -> {self.new}"


@dataclass(frozen=True, slots=True)
class PinNote:
    """A site not changed: `verified` (its digest exists), `skipped` (not resolvable by
    design: templated, empty, not a reference), `unresolved` (the registry said no) or
    `problem` (the file could not be read or parsed; `line` may be 0)."""

    kind: NoteKind
    file: str
    line: int
    reference: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        subject = f"{self.reference}: " if self.reference else ""
        return f"{where}: {self.kind}: {subject}{self.message}"


@dataclass(frozen=True, slots=True)
class PinReport:
    changes: tuple[PinChange, ...] = ()
    notes: tuple[PinNote, ...] = ()
    diffs: dict[str, str] = field(default_factory=dict)
    written: tuple[str, ...] = ()

    def of_kind(self, kind: NoteKind) -> tuple[PinNote, ...]:
        return tuple(n for n in self.notes if n.kind == kind)

    @property
    def ok(self) -> bool:
        """False when a reference could not be resolved/verified or a file failed."""
        return not self.of_kind("unresolved") and not self.of_kind("problem")

    def to_dict(self, *, dry_run: bool) -> dict[str, Any]:
        return {
            "dryRun": dry_run,
            "ok": self.ok,
            "changes": [
                {"file": c.file, "line": c.line, "old": c.old, "new": c.new} for c in self.changes
            ],
            "notes": [
                {
                    "kind": n.kind,
                    "file": n.file,
                    "line": n.line,
                    "reference": n.reference,
                    "message": n.message,
                }
                for n in self.notes
            ],
            "written": list(self.written),
        }
