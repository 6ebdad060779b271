"""The command line as users run it: version, exit codes, `python -m automation`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from automation import __version__
from automation.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_no_command_is_usage_error() -> None:
    assert main([]) == 2


def test_bad_flag_is_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate", "--nope"])
    assert info.value.code == 2


def test_python_dash_m_is_the_same_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "automation", "validate", str(ROOT / "policies"), "-o", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["valid"] is True


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
    assert f"{automation}:1: spec.git.push.refspec: spec.git.push.refspec" in err
    assert "starts with '-'" in err
    assert f"{source}:3: spec.url: git URL" in err and "file:// remotes are disabled" in err
    assert f"{source}:3: spec.ref.branch: spec.ref.branch '-main' is not a valid branch" in err
