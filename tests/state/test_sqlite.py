"""SQLite-only behaviour: the file, its schema version, the state path default."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from automation.errors import StateError
from automation.state import ScanRecord, open_store
from automation.state.sqlite import SCHEMA_VERSION, SQLiteStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


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
