"""`history`, `rollback` and `get policies` over a real state store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.cli import main
from automation.reference import LatestRef
from automation.state import PolicyRecord, open_store, pinned_ref

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    store = open_store(path)
    for i, tag in enumerate(["6.0.0", "6.1.0", "6.2.0"]):
        ref = LatestRef("ghcr.io/org/app", tag)
        store.record_policy(
            PolicyRecord("apps/podinfo", latest_ref=ref, message=f"resolved to {tag}"),
            reason="new tag",
            now=T0 + timedelta(days=i),
        )
    store.close()
    return path


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
