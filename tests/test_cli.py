"""The command line as users run it: version, exit codes, `python -m automation`."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from automation import __version__
from automation.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parent.parent


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_the_version_is_the_installed_distribution_s() -> None:
    assert __version__ == importlib.metadata.version("image-automation")


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


# What a fresh process has imported after the command ran (a fresh interpreter, so modules
# loaded by other tests don't count).
_IMPORTED = """
import json, sys
from automation.cli import COMMANDS, main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.__stderr__)
"""
_HEAVY = {"pygit2", "httpx", "httpcore", "apscheduler", "prometheus_client"}


def _imported_after(*argv: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTED, *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    modules: list[str] = json.loads(result.stderr.strip().splitlines()[-1])
    return set(modules)


def test_help_imports_no_command_and_no_heavy_library() -> None:
    modules = _imported_after("--help")
    tops = {name.split(".")[0] for name in modules}
    assert not tops & (_HEAVY | {"jinja2", "ruamel", "pydantic", "re2"})
    assert not [name for name in modules if name.startswith("automation.commands.")]


def test_validate_imports_only_what_it_runs() -> None:
    modules = _imported_after("validate", str(ROOT / "policies"))
    assert "automation.commands.validate" in modules  # it did run
    # Checking update windows reads APScheduler's cron grammar (steps/windows.py), which is
    # light; the scheduler itself must not load.
    tops = {name.split(".")[0] for name in modules}
    assert not tops & (_HEAVY - {"apscheduler"})
    assert not [name for name in modules if name.startswith("apscheduler.schedulers")]
    assert sorted(name for name in modules if name.startswith("automation.commands.")) == [
        "automation.commands.common",
        "automation.commands.validate",
    ]


def test_a_command_help_loads_that_command_only() -> None:
    modules = _imported_after("history", "--help")
    assert "automation.commands.history" in modules
    assert "automation.commands.scan" not in modules
    assert "httpx" not in modules


def test_command_table_names_each_command_module() -> None:
    for name, command in COMMANDS.items():
        module = command.load()
        assert module.__name__ == f"automation.commands.{name}"  # type: ignore[attr-defined]


def test_every_command_module_is_in_the_table() -> None:
    # A module of the commands package with both `add_arguments` and `run` is a command; one
    # left out of the table would silently not be offered.
    package = ROOT / "automation" / "commands"
    commands = set()
    for path in package.glob("*.py"):
        module = importlib.import_module(f"automation.commands.{path.stem}")
        if hasattr(module, "add_arguments") and hasattr(module, "run"):
            commands.add(path.stem)
    assert commands == set(COMMANDS)
