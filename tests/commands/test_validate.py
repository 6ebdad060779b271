"""`validate` on real files: every problem at file:line: field, and the `-o json` report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from automation.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_validate_example_policies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "policies")]) == 0
    assert "ok: 7 objects valid" in capsys.readouterr().out


def test_validate_broken_file_names_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "p")
    path = tmp_path / "p" / "image-policies.yaml"
    path.write_text(
        path.read_text().replace("order: asc\n  digestReflection", "order: up\n  digestReflection")
    )
    assert main(["validate", str(tmp_path / "p")]) == 1
    err = capsys.readouterr().err
    assert f"{path}:31: spec.policy.numerical.order: Input should be 'asc' or 'desc'" in err


def test_validate_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "p")
    path = tmp_path / "p" / "image-policies.yaml"
    path.write_text(path.read_text().replace("    name: webapp\n", "    name: missing\n", 1))
    assert main(["validate", str(tmp_path / "p"), "-o", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert report["errors"] == [
        {
            "file": str(path),
            "line": 23,  # the field at fault, not the object's first line
            "field": "spec.imageRepositoryRef",
            "message": "ImageRepository apps/missing not found",
        }
    ]
    assert len(report["objects"]) == 7


def test_validate_refuses_git_values_that_would_reach_gits_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "p")
    automation = tmp_path / "p" / "image-update-automation.yaml"
    automation.write_text(
        automation.read_text().replace(
            "      branch: main\n  update:",
            '      branch: main\n      refspec: "--receive-pack=touch /tmp/x"\n  update:',
        )
    )
    source = tmp_path / "p" / "git-repository.yaml"
    source.write_text(source.read_text().replace("branch: main", "branch: -main"))
    monkeypatch.delenv("IMAGE_AUTOMATION_ALLOW_FILE_REMOTES")
    assert main(["validate", str(tmp_path / "p")]) == 1
    err = capsys.readouterr().err
    # each at the line of the field at fault
    assert f"{automation}:27: spec.git.push.refspec: spec.git.push.refspec" in err
    assert "starts with '-'" in err
    assert f"{source}:9: spec.url: git URL" in err and "file:// remotes are disabled" in err
    assert f"{source}:12: spec.ref.branch: spec.ref.branch '-main' is not a valid branch" in err
