"""What a pin run reports: change and note lines, `ok`, and the `-o json` dict."""

from __future__ import annotations

from automation.pinning.report import PinChange, PinNote, PinReport

D = "sha256:" + "ab" * 32
CHANGE = PinChange("app.yaml", 3, "r.io/a:1", f"r.io/a:1@{D}")
VERIFIED = PinNote("verified", "app.yaml", 5, f"r.io/b:1@{D}", "digest exists")
SKIPPED = PinNote("skipped", "app.yaml", 7, "", "templated value")
UNRESOLVED = PinNote("unresolved", "b.yaml", 2, "r.io/c:9", "tag not found")
PROBLEM = PinNote("problem", "c.yaml", 0, "", "not YAML")


def test_lines_name_file_line_and_what_happened() -> None:
    assert str(CHANGE) == f"app.yaml:3: r.io/a:1 -> r.io/a:1@{D}"
    assert str(SKIPPED) == "app.yaml:7: skipped: templated value"
    assert str(UNRESOLVED) == "b.yaml:2: unresolved: r.io/c:9: tag not found"
    assert str(PROBLEM) == "c.yaml: problem: not YAML"  # no line: the file as a whole


def test_ok_unless_a_reference_is_unresolved_or_a_file_failed() -> None:
    assert PinReport((CHANGE,), (VERIFIED, SKIPPED)).ok
    assert not PinReport(notes=(UNRESOLVED,)).ok
    assert not PinReport(notes=(PROBLEM,)).ok
    report = PinReport((CHANGE,), (VERIFIED, UNRESOLVED, SKIPPED))
    assert report.of_kind("unresolved") == (UNRESOLVED,)


def test_to_dict() -> None:
    report = PinReport((CHANGE,), (UNRESOLVED,), written=("app.yaml",))
    assert report.to_dict(dry_run=False) == {
        "dryRun": False,
        "ok": False,
        "changes": [{"file": "app.yaml", "line": 3, "old": "r.io/a:1", "new": f"r.io/a:1@{D}"}],
        "notes": [
            {
                "kind": "unresolved",
                "file": "b.yaml",
                "line": 2,
                "reference": "r.io/c:9",
                "message": "tag not found",
            }
        ],
        "written": ["app.yaml"],
    }
