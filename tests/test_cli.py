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
