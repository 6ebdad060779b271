"""SQLite implementation of `StateStore`: one file, schema versioned by `PRAGMA user_version`.

Every write is one transaction, so a crash mid-scan leaves the previous scan intact. Tag lists
are stored zlib-compressed, newline-joined (100k tags of ~20 bytes -> well under 1 MB).

Every `sqlite3.Error` after opening (`database is locked`, disk full, I/O errors) becomes a
`StateError` naming the file and the operation. A write that finds the database busy (another
process holds the write lock past the busy timeout) is retried a few times from `BEGIN`, where
nothing has been done yet; an error later in a transaction rolls it back and is not retried.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from time import sleep
from typing import Any

from automation.errors import StateError
from automation.reference import LatestRef
from automation.state.reads import StoreReads, policy_record
from automation.state.records import (
    AutomationRecord,
    PolicyRecord,
    ScanRecord,
)
from automation.state.schema import (
    MIGRATIONS,
    POLICY_COLUMNS,
    SCHEMA_VERSION,
    encode_ref,
    encode_time,
)

BUSY_TIMEOUT = 10.0  # seconds SQLite itself waits for another writer's lock
BEGIN_ATTEMPTS = 3
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def _is_busy(err: sqlite3.Error) -> bool:
    return getattr(err, "sqlite_errorcode", 0) & 0xFF in _BUSY_CODES


class SQLiteStore(StoreReads):
    PARAM = "?"  # sqlite3's parameter mark (`transfer` writes tables with it)

    def __init__(
        self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT, retry_delay: float = 0.2
    ) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.retry_delay = retry_delay
        self._lock = threading.RLock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.Error as err:
            raise StateError(f"cannot open state store {path}: {err}") from err

    def _migrate(self) -> None:
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StateError(
                    f"state store {self.path} has schema {version}, newer than this program "
                    f"({SCHEMA_VERSION}); upgrade image-automation"
                )
            for target in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {target + 1}")

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as err:
            raise StateError(f"state store {self.path}: {what} failed: {err}") from err

    def _begin(self) -> None:
        for attempt in range(1, BEGIN_ATTEMPTS + 1):
            try:
                self._db.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as err:
                if not _is_busy(err) or attempt == BEGIN_ATTEMPTS:
                    raise
            sleep(self.retry_delay * attempt)

    @contextmanager
    def _tx(self, what: str = "write") -> Iterator[sqlite3.Connection]:
        with self._lock, self._errors(what):
            self._begin()
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _one(self, sql: str, *args: Any) -> Any:
        with self._lock, self._errors("read"):
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[Any]:
        with self._lock, self._errors("read"):
            return self._db.execute(sql, args).fetchall()

    # scans -----------------------------------------------------------------------------
    def put_scan(self, record: ScanRecord, tags: Sequence[str]) -> None:
        blob = zlib.compress("\n".join(tags).encode(), 6)
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO scans VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    record.key,
                    record.canonical_name,
                    record.tag_count,
                    encode_time(record.scan_time),
                    record.revision,
                    json.dumps(record.latest_tags),
                    record.spec_hash,
                    record.last_error,
                    encode_time(record.error_time),
                    blob,
                ),
            )

    def record_scan_error(self, key: str, error: str, now: datetime) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO scans (key) VALUES (?)", (key,))
            db.execute(
                "UPDATE scans SET last_error = ?, error_time = ? WHERE key = ?",
                (error, encode_time(now), key),
            )

    # policies --------------------------------------------------------------------------
    def record_policy(self, record: PolicyRecord, *, reason: str, now: datetime) -> PolicyRecord:
        """Store a policy's status; a changed latestRef becomes a new history generation."""
        with self._tx() as db:
            row = db.execute(
                f"SELECT {POLICY_COLUMNS} FROM policies WHERE key = ?", (record.key,)
            ).fetchone()
            old = policy_record(row) if row else PolicyRecord(key=record.key)
            generation = old.generation
            if record.latest_ref is not None and record.latest_ref != old.latest_ref:
                generation += 1
                db.execute(
                    "INSERT INTO policy_history VALUES (?,?,?,?,?)",
                    (
                        record.key,
                        generation,
                        encode_time(now),
                        encode_ref(record.latest_ref),
                        reason,
                    ),
                )
            db.execute(
                "INSERT OR REPLACE INTO policies VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    record.key,
                    encode_ref(record.latest_ref),
                    encode_ref(record.observed_previous_ref),
                    encode_time(record.evaluated_time or now),
                    record.spec_hash,
                    record.repository_revision,
                    record.message,
                    record.last_error,
                    generation,
                    old.pinned_generation,
                ),
            )
        stored = self.get_policy(record.key)
        assert stored is not None
        return stored

    def record_policy_error(self, key: str, error: str, now: datetime) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO policies (key) VALUES (?)", (key,))
            db.execute(
                "UPDATE policies SET last_error = ?, evaluated_time = ? WHERE key = ?",
                (error, encode_time(now), key),
            )

    def set_pin(self, key: str, generation: int | None) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO policies (key) VALUES (?)", (key,))
            db.execute("UPDATE policies SET pinned_generation = ? WHERE key = ?", (generation, key))

    # automations -----------------------------------------------------------------------
    def put_automation(self, record: AutomationRecord) -> None:
        observed = json.dumps({k: v.to_dict() for k, v in sorted(record.observed_policies.items())})
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO automations VALUES (?,?,?,?,?,?,?,?)",
                (
                    record.key,
                    encode_time(record.last_run_time),
                    record.last_push_commit,
                    encode_time(record.last_push_time),
                    observed,
                    record.observed_source_revision,
                    record.last_error,
                    record.failures,
                ),
            )

    # mirrors ---------------------------------------------------------------------------
    def record_mirror(
        self,
        key: str,
        source_ref: str,
        mirror_ref: LatestRef | None,
        digest: str,
        now: datetime,
        error: str = "",
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO mirrors VALUES (?,?,?,?,?,?)",
                (key, source_ref, encode_ref(mirror_ref), digest, encode_time(now), error),
            )

    def close(self) -> None:
        with self._lock, self._errors("close"):
            self._db.close()

    def snapshot(self, path: Path) -> SQLiteStore:
        """A copy of this store at `path` (for dry runs that must not change real state)."""
        with self._lock, self._errors(f"copy to {path}"):
            target = sqlite3.connect(str(path))
            try:
                self._db.backup(target)
            finally:
                target.close()
        return SQLiteStore(path, busy_timeout=self.busy_timeout, retry_delay=self.retry_delay)
