"""How an `UpdateResult` is shown: plain text lines, a dict for `-o json`, YAML for `-o yaml`."""

from __future__ import annotations

from automation.manifests.apply import UpdateResult


def result_to_dict(result: UpdateResult, *, dry_run: bool = False) -> dict[str, object]:
    """The machine-readable report; with `dry_run` it includes the diff of each file."""
    data: dict[str, object] = {
        "dryRun": dry_run,
        **result.changes.to_dict(),
        "skippedMarkers": [
            {
                "path": n.path,
                "line": n.line,
                "marker": n.marker,
                "reason": n.kind,
                "message": n.message,
            }
            for n in result.skipped_markers
        ],
        "warnings": [
            {"path": n.path, "line": n.line, "marker": n.marker, "message": n.message}
            for n in result.warnings
        ],
        "problemFiles": [
            {"path": p.path, "line": p.line, "message": p.message} for p in result.problem_files
        ],
    }
    if dry_run:
        data["diffs"] = dict(sorted(result.diffs.items()))
    return data


def change_lines(result: UpdateResult) -> list[str]:
    """One line per change: `path:line: old -> new (setter) in Kind/namespace/name`."""
    lines = []
    for path, obj, change in result.changes:
        # Only the parts a document has: no `Kustomization//` for a kustomization.yaml.
        shown = "/".join(part for part in (obj.kind, obj.namespace, obj.name) if part)
        where = f" in {shown}" if shown else ""
        old, new = change.old or '""', change.new or '""'
        lines.append(f"{path}:{change.line}: {old} -> {new} ({change.setter}){where}")
    return lines


def notice_lines(result: UpdateResult) -> list[str]:
    """Markers not applied, warnings and files that failed, one line each."""
    lines = [f"skipped: {note}" for note in result.skipped_markers]
    lines += [f"warning: {note}" for note in result.warnings]
    lines += [f"error: {problem}" for problem in result.problem_files]
    return lines
