"""`history` over a real state store (the `db` fixture: tests/commands/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from automation.cli import main


def test_history_lists_generations(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "apps/podinfo", "--state", str(db), "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(g["generation"], g["ref"]["tag"]) for g in data["generations"]] == [
        (1, "6.0.0"),
        (2, "6.1.0"),
        (3, "6.2.0"),
    ]
    assert data["pinnedGeneration"] is None


def test_history_of_unknown_policy_fails(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "apps/nope", "--state", str(db)]) == 1
    assert "no history for ImagePolicy apps/nope" in capsys.readouterr().err
