"""`policy test`: offline evaluation from a file, --name, tags from flags, files, stdin, state."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from automation.cli import main
from automation.state import ScanRecord, open_store

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "policies"


def test_selects_from_tags_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "policy",
            "test",
            "--policies",
            str(POLICIES),
            "--name",
            "apps/podinfo",
            "--tags",
            "5.9.0,6.0.0,v6.2.1,6.3.0-rc.1,7.0.0,latest",
        ]
    )
    assert code == 0
    assert capsys.readouterr().out == "v6.2.1\n"


def test_verbose_explains_each_candidate(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "policy",
            "test",
            str(POLICIES / "image-policies.yaml"),
            "--name",
            "apps/podinfo",
            "--tags",
            "6.0.0,7.0.0,latest",
            "-v",
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert "outside range" in err and "not a version" in err


def test_nothing_matches_exits_1_with_reason(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "policy",
            "test",
            "--policies",
            str(POLICIES),
            "--name",
            "apps/podinfo",
            "--tags",
            "1.0.0,8.0.0",
        ]
    )
    assert code == 1
    assert "no tag satisfies semver range '>=6.0.0 <7.0.0'" in capsys.readouterr().err


def test_tags_file_and_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tags = tmp_path / "tags.txt"
    tags.write_text("2026-11-01\n2026-11-15\nmain-abc-1\n\n")
    args = ["policy", "test", "--policies", str(POLICIES), "--name", "apps/webapp-release"]
    assert main([*args, "--tags-file", str(tags)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("2025-01-01\n2024-12-31\n"))
    assert main([*args, "--tags-file", "-"]) == 0
    assert capsys.readouterr().out.split() == ["2026-11-15", "2025-01-01"]


def test_tags_from_last_scan_in_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "state.db"
    store = open_store(db)
    store.put_scan(ScanRecord("apps/podinfo", scan_time=datetime.now(UTC)), ["6.0.1", "6.0.0"])
    store.close()
    code = main(
        [
            "policy",
            "test",
            "--policies",
            str(POLICIES),
            "--name",
            "apps/podinfo",
            "--state",
            str(db),
            "-o",
            "json",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["tag"] == "6.0.1"


def test_file_with_several_policies_needs_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "test", str(POLICIES / "image-policies.yaml"), "--tags", "1"]) == 2
    assert "choose with --name" in capsys.readouterr().err


def test_numerical_policy_fails_on_non_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata: {name: n}\n"
        "spec:\n  imageRepositoryRef: {name: r}\n  policy:\n    numerical: {order: asc}\n"
    )
    assert main(["policy", "test", str(path), "--tags", "1,2,abc"]) == 1
    assert "abc" in capsys.readouterr().err


def test_patterns_are_shown_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata: {name: app}\n"
        "spec:\n  imageRepositoryRef: {name: app}\n"
        "  filterTags: {pattern: '^main-(?P<ts>\\d+)\\.\\w+$', extract: '$ts'}\n"
        "  policy: {numerical: {order: asc}}\n"
    )
    assert main(["policy", "test", str(policy), "--tags", "main-1.a,main-22.b,foo", "-v"]) == 0
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "'^main-(?P<ts>\\d+)\\.\\w+$'" in text  # one backslash each, as in the file
    assert "\\\\" not in text
