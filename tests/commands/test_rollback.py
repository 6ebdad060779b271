"""`rollback` and its pin shown by `get policies`, over a real state store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from automation.cli import main
from automation.reference import LatestRef
from automation.state import open_store, pinned_ref


def test_rollback_defaults_to_previous_generation_and_shows_in_get(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(db.parent)  # no ./policies here: `get` shows what the state holds
    assert main(["rollback", "apps/podinfo", "--state", str(db)]) == 0
    store = open_store(db)
    assert pinned_ref(store, "apps/podinfo") == LatestRef("ghcr.io/org/app", "6.1.0")
    capsys.readouterr()
    assert main(["get", "policies", "--state", str(db), "-o", "json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)["items"]
    assert item["status"]["rollback"]["generation"] == 2
    assert item["status"]["latestRef"]["tag"] == "6.2.0"


def test_rollback_to_and_release(db: Path) -> None:
    assert main(["rollback", "apps/podinfo", "--to", "1", "--state", str(db)]) == 0
    assert pinned_ref(open_store(db), "apps/podinfo") == LatestRef("ghcr.io/org/app", "6.0.0")
    assert main(["rollback", "apps/podinfo", "--release", "--state", str(db)]) == 0
    assert pinned_ref(open_store(db), "apps/podinfo") is None


def test_rollback_to_unknown_generation_is_usage_error(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rollback", "apps/podinfo", "--to", "9", "--state", str(db)]) == 2
    assert "has no generation 9 (generations: 1, 2, 3)" in capsys.readouterr().err


def test_bad_policy_name_is_usage_error(db: Path) -> None:
    assert main(["history", "a/b/c", "--state", str(db)]) == 2
