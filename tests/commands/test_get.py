"""`get` from the example policies, before anything ran: Flux's document shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from automation.cli import main


def test_get_automations_before_any_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2] / "policies"
    assert (
        main(["get", "automations", str(root), "--state", str(tmp_path / "s.db"), "-o", "json"])
        == 0
    )
    (item,) = json.loads(capsys.readouterr().out)["items"]
    assert item["kind"] == "ImageUpdateAutomation"
    assert item["metadata"] == {"name": "fleet", "namespace": "apps"}
    assert item["spec"]["git"]["push"] == {"branch": "main"}
    assert item["status"]["conditions"][0]["message"] == "not run yet"
