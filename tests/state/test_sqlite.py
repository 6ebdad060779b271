"""The SQLite state store: scans, policy history, pins, automations, schema versions."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.errors import StateError
from automation.reference import LatestRef
from automation.state import AutomationRecord, PolicyRecord, ScanRecord, open_store, pinned_ref
from automation.state.sqlite import SCHEMA_VERSION, SQLiteStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore(tmp_path / "nested" / "state.db")


def test_scan_round_trip_keeps_every_tag(store: SQLiteStore) -> None:
    tags = [f"1.0.{i}" for i in range(100_000)]
    record = ScanRecord(
        key="ns/app",
        canonical_name="ghcr.io/org/app",
        tag_count=len(tags),
        scan_time=NOW,
        revision="sha256:abc",
        latest_tags=("1.0.99999",),
        spec_hash="h1",
    )
    store.put_scan(record, tags)
    assert store.get_scan("ns/app") == record
    assert store.get_tags("ns/app") == tags
    assert store.get_tags("ns/other") is None
    assert [s.key for s in store.list_scans()] == ["ns/app"]


def test_empty_tag_list_is_not_missing(store: SQLiteStore) -> None:
    store.put_scan(ScanRecord(key="ns/app", scan_time=NOW), [])
    assert store.get_tags("ns/app") == []


def test_scan_error_keeps_the_last_good_tags(store: SQLiteStore) -> None:
    store.put_scan(ScanRecord(key="ns/app", tag_count=2, scan_time=NOW), ["a", "b"])
    store.record_scan_error("ns/app", "registry down", NOW + timedelta(minutes=5))
    scan = store.get_scan("ns/app")
    assert scan is not None and scan.last_error == "registry down"
    assert scan.tag_count == 2 and store.get_tags("ns/app") == ["a", "b"]


def test_policy_history_grows_only_when_the_ref_changes(store: SQLiteStore) -> None:
    one, two = LatestRef("app", "1.0.0"), LatestRef("app", "1.0.0", "sha256:" + "b" * 64)
    store.record_policy(PolicyRecord("ns/p", latest_ref=one), reason="new tag", now=NOW)
    again = store.record_policy(PolicyRecord("ns/p", latest_ref=one), reason="new tag", now=NOW)
    assert again.generation == 1
    moved = store.record_policy(
        PolicyRecord("ns/p", latest_ref=two, observed_previous_ref=one),
        reason="moved digest",
        now=NOW + timedelta(hours=1),
    )
    assert moved.generation == 2 and moved.observed_previous_ref == one
    history = store.history("ns/p")
    assert [(h.generation, h.ref, h.reason) for h in history] == [
        (1, one, "new tag"),
        (2, two, "moved digest"),
    ]
    assert history[1].time == NOW + timedelta(hours=1)


def test_pin_survives_new_evaluations_until_released(store: SQLiteStore) -> None:
    one, two = LatestRef("app", "1.0.0"), LatestRef("app", "2.0.0")
    store.record_policy(PolicyRecord("ns/p", latest_ref=one), reason="new tag", now=NOW)
    store.record_policy(PolicyRecord("ns/p", latest_ref=two), reason="new tag", now=NOW)
    store.set_pin("ns/p", 1)
    store.record_policy(PolicyRecord("ns/p", latest_ref=two), reason="new tag", now=NOW)
    assert pinned_ref(store, "ns/p") == one
    store.set_pin("ns/p", None)
    assert pinned_ref(store, "ns/p") is None


def test_policy_error_does_not_lose_the_ref(store: SQLiteStore) -> None:
    ref = LatestRef("app", "1.0.0")
    store.record_policy(PolicyRecord("ns/p", latest_ref=ref), reason="new tag", now=NOW)
    store.record_policy_error("ns/p", "no tag matches", NOW)
    record = store.get_policy("ns/p")
    assert record is not None and record.latest_ref == ref and record.last_error == "no tag matches"


def test_automation_round_trip(store: SQLiteStore) -> None:
    record = AutomationRecord(
        key="ns/a",
        last_run_time=NOW,
        last_push_commit="f" * 40,
        last_push_time=NOW,
        observed_policies={"p": LatestRef("app", "1.0.0", "sha256:" + "c" * 64)},
        observed_source_revision="main@sha1:" + "f" * 40,
        failures=0,
    )
    store.put_automation(record)
    assert store.get_automation("ns/a") == record
    assert store.list_automations() == [record]


def test_failed_transaction_leaves_previous_scan(store: SQLiteStore) -> None:
    store.put_scan(ScanRecord(key="ns/app", tag_count=1, scan_time=NOW), ["old"])

    class Boom(Exception):
        pass

    with pytest.raises(Boom), store._tx() as db:
        db.execute("UPDATE scans SET tag_count = 99 WHERE key = 'ns/app'")
        raise Boom
    scan = store.get_scan("ns/app")
    assert scan is not None and scan.tag_count == 1


def test_reopen_keeps_data_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first = open_store(path)
    first.put_scan(ScanRecord(key="ns/app", scan_time=NOW), ["x"])
    first.close()
    second = open_store(path)
    assert second.get_tags("ns/app") == ["x"]
    version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    assert version == SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(StateError, match="newer than this program"):
        SQLiteStore(path)


def test_state_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from automation.state import default_state_path

    monkeypatch.setenv("IMAGE_AUTOMATION_STATE", str(tmp_path / "x.db"))
    assert default_state_path() == tmp_path / "x.db"
    monkeypatch.delenv("IMAGE_AUTOMATION_STATE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_state_path() == tmp_path / "image-automation" / "state.db"


@pytest.fixture
def quick(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A store that gives up on a held lock within a fraction of a second."""
    store = SQLiteStore(tmp_path / "q.db", busy_timeout=0.05, retry_delay=0.01)
    yield store
    store.close()


@contextmanager
def write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's view: a connection holding the database's write lock."""
    other = sqlite3.connect(str(path), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield other
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_locked_database_is_a_state_error_naming_the_file(quick: SQLiteStore) -> None:
    with write_lock(quick.path), pytest.raises(StateError, match="database is locked") as caught:
        quick.record_scan_error("ns/a", "boom", NOW)
    assert str(quick.path) in str(caught.value)
    assert not quick._db.in_transaction  # nothing left half-open
    quick.record_scan_error("ns/a", "boom", NOW)  # usable again once the lock is gone
    record = quick.get_scan("ns/a")
    assert record is not None and record.last_error == "boom"


def test_a_busy_write_is_retried_until_the_lock_is_released(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "r.db", busy_timeout=0.05, retry_delay=0.1)
    locked = threading.Event()

    def hold_briefly() -> None:
        with write_lock(store.path):
            locked.set()
            time.sleep(0.12)  # longer than the busy timeout, shorter than the retries

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    locked.wait(5)
    store.record_scan_error("ns/a", "boom", NOW)  # waited the lock out: no error
    holder.join()
    record = store.get_scan("ns/a")
    assert record is not None and record.last_error == "boom"
    store.close()


def test_sqlite_errors_on_reads_are_state_errors(quick: SQLiteStore) -> None:
    quick.close()
    with pytest.raises(StateError, match="read failed"):
        quick.get_scan("ns/a")
