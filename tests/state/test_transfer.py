"""`state migrate`: SQLite -> PostgreSQL -> SQLite keeps every row, history included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.cli import main
from automation.reference import LatestRef
from automation.state import AutomationRecord, PolicyRecord, ScanRecord, StateStore, open_store
from automation.state.postgres import open_server
from automation.state.schema import COLUMNS
from automation.state.transfer import dump

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def fill(store: StateStore) -> None:
    store.put_scan(
        ScanRecord("ns/app", "reg/app", 3, NOW, "sha256:1", ("1.2",), "h"), ["1.0", "1.1", "1.2"]
    )
    store.record_scan_error("ns/down", "registry down", NOW)
    for i, tag in enumerate(["1.0", "1.1", "1.2"]):
        store.record_policy(
            PolicyRecord("ns/p", latest_ref=LatestRef("reg/app", tag, "sha256:" + "a" * 64)),
            reason=f"new tag {tag}",
            now=NOW + timedelta(minutes=i),
        )
    store.set_pin("ns/p", 2)
    store.record_policy_error("ns/broken", "no tag matches", NOW)
    store.put_automation(
        AutomationRecord(
            "ns/a",
            NOW,
            "f" * 40,
            NOW,
            {"ns/p": LatestRef("reg/app", "1.1")},
            "main@sha1:" + "e" * 40,
        )
    )
    store.record_mirror("ns/p", "reg/app:1.2", LatestRef("mirror/app", "1.2"), "sha256:b", NOW)


def test_round_trip_through_postgres_is_lossless(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    original = tmp_path / "original.db"
    back = tmp_path / "back.db"
    store = open_store(original)
    fill(store)
    store.close()

    assert main(["state", "migrate", str(original), postgres_url]) == 0
    assert "migrated 2 scans, 2 policies, 3 policy_history" in capsys.readouterr().out
    server = open_server(postgres_url)
    assert [h.generation for h in server.history("ns/p")] == [1, 2, 3]
    assert server.get_tags("ns/app") == ["1.0", "1.1", "1.2"]
    server.close()
    assert main(["state", "migrate", postgres_url, str(back)]) == 0

    before, after = open_store(original), open_store(back)
    for table in COLUMNS:
        assert sorted(dump(after, table)) == sorted(dump(before, table)), table
    assert after.history("ns/p") == before.history("ns/p")
    assert after.get_policy("ns/p") == before.get_policy("ns/p")
    assert after.get_automation("ns/a") == before.get_automation("ns/a")
    before.close()
    after.close()


def test_a_target_with_state_is_not_overwritten_by_accident(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "s.db"
    store = open_store(source)
    fill(store)
    store.close()
    server = open_server(postgres_url)
    server.put_scan(ScanRecord("ns/other", scan_time=NOW), ["x"])
    server.close()
    assert main(["state", "migrate", str(source), postgres_url]) == 2
    assert "already holds 1 rows" in capsys.readouterr().err
    assert main(["state", "migrate", str(source), postgres_url, "--replace"]) == 0
    server = open_server(postgres_url)
    assert [s.key for s in server.list_scans()] == ["ns/app", "ns/down"]
    server.close()


def test_missing_source_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["state", "migrate", str(tmp_path / "nope.db"), str(tmp_path / "t.db")]) == 2
    assert "no such state file" in capsys.readouterr().err


def test_a_dry_run_snapshot_of_postgres_is_a_private_sqlite_copy(
    tmp_path: Path, postgres_url: str
) -> None:
    server = open_server(postgres_url)
    fill(server)
    copy = server.snapshot(tmp_path / "dry-run.db")
    copy.set_pin("ns/p", None)
    copy.put_scan(ScanRecord("ns/new", scan_time=NOW), [])
    assert [h.generation for h in copy.history("ns/p")] == [1, 2, 3]
    record = server.get_policy("ns/p")
    assert record is not None and record.pinned_generation == 2  # the server is untouched
    assert server.get_scan("ns/new") is None
    copy.close()
    server.close()


def test_a_row_the_target_refuses_leaves_every_table_of_the_target_as_it_was(
    tmp_path: Path, postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "s.db"
    store = open_store(source)
    fill(store)
    # SQLite keeps a NUL in text; PostgreSQL refuses it. Mirrors are copied last, after
    # every other table has been replaced in the same transaction.
    store.record_mirror("ns/q", "reg/app:1.0", None, "", NOW, error="bad\x00byte")
    store.close()
    server = open_server(postgres_url)
    server.put_scan(ScanRecord("ns/other", scan_time=NOW), ["x"])
    server.close()
    assert main(["state", "migrate", str(source), postgres_url, "--replace"]) == 1
    assert "NUL" in capsys.readouterr().err
    server = open_server(postgres_url)
    assert [s.key for s in server.list_scans()] == ["ns/other"]
    assert server.get_policy("ns/p") is None and server.history("ns/p") == []
    server.close()
