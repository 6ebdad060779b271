"""PostgreSQL implementation of `StateStore`, shared by any number of daemon replicas.

The same tables and migration scripts as SQLite (`schema`), versioned in `schema_version`;
replicas starting together migrate under an advisory lock. Every state change is one
transaction; `record_policy` locks the policy's row, so two replicas evaluating the same policy
at once add one history generation, not two, and an evaluation that started before the stored
one is dropped rather than stepping latestRef back. Connections come from a small psycopg pool that
checks a connection before lending it, so a restarted server costs one failed call, not a
process restart. Error texts name the server by host/port/database only, never a password.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from automation.errors import StateError
from automation.reference import LatestRef
from automation.state.location import ServerLocation
from automation.state.records import (
    AutomationRecord,
    HistoryEntry,
    MirrorRecord,
    PolicyRecord,
    ScanRecord,
)
from automation.state.schema import (
    MIGRATIONS,
    decode_ref,
    decode_time,
    encode_ref,
    encode_time,
    postgres_script,
)
from automation.state.sqlite import SQLiteStore

# Tables only a shared server needs: the replicas' job leases, named locks and event queue.
# Versioned apart from the state tables, which must stay the same in both stores.
COORDINATION_MIGRATIONS: list[str] = [
    """
    CREATE TABLE jobs (
        name TEXT PRIMARY KEY, shard TEXT NOT NULL DEFAULT '',
        interval_seconds DOUBLE PRECISION NOT NULL, next_run TIMESTAMPTZ NOT NULL,
        triggered BOOLEAN NOT NULL DEFAULT FALSE, holder TEXT, expires TIMESTAMPTZ
    );
    CREATE INDEX jobs_due ON jobs (shard, next_run);
    CREATE TABLE locks (
        name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires TIMESTAMPTZ NOT NULL
    );
    """,
]
MIGRATION_LOCK = 7_263_551  # pg_advisory_xact_lock key: one migrating replica at a time
POOL_SIZE = 8
# How long a call waits for a pooled connection while the server is unreachable, before it
# fails with StateError (the daemon then reports not ready and backs off).
CONNECT_WAIT = 5.0


class PostgresStore:
    def __init__(self, location: ServerLocation, *, pool_size: int = POOL_SIZE) -> None:
        self.location = location
        self.queries = 0  # statements sent, for the replica benchmark's database load
        self._count = threading.Lock()
        # Autocommit: a read is one statement; writes open their transaction explicitly.
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": 10}
        if location.password is not None:
            kwargs["password"] = location.password
        self._kwargs = kwargs
        self._pool = ConnectionPool(
            location.url,
            kwargs=kwargs,
            min_size=1,
            max_size=pool_size,
            open=False,
            check=ConnectionPool.check_connection,
            name="state",
        )
        try:
            # One direct connection first: a wrong password or an unknown host fails at once
            # with libpq's reason, where the pool would keep retrying until its timeout.
            psycopg.connect(location.url, **kwargs).close()
            self._pool.open(wait=True, timeout=CONNECT_WAIT * 3)
            self._migrate()
        except (psycopg.Error, PoolTimeout) as err:
            self._pool.close()
            raise StateError(f"cannot open state store {self.where}: {_reason(err)}") from None

    @property
    def where(self) -> str:
        return self.location.url

    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
            self._apply(db, "state", [postgres_script(m) for m in MIGRATIONS])
            self._apply(db, "coordination", COORDINATION_MIGRATIONS)

    def _apply(self, db: _CountingCursor, component: str, scripts: list[str]) -> None:
        row = db.execute(
            "SELECT version FROM schema_version WHERE component = %s", (component,)
        ).fetchone()
        version = row[0] if row else 0
        if version > len(scripts):
            raise StateError(
                f"state store {self.where} has {component} schema {version}, newer than this "
                f"program ({len(scripts)}); upgrade image-automation"
            )
        for target in range(version, len(scripts)):
            db.execute(scripts[target].encode())
        db.execute(
            "INSERT INTO schema_version VALUES (%s, %s) "
            "ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version",
            (component, len(scripts)),
        )

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection[Any]:
        """A connection of its own, outside the pool (LISTEN needs one that stays open)."""
        try:
            return psycopg.connect(self.location.url, **{**self._kwargs, "autocommit": autocommit})
        except psycopg.Error as err:
            raise StateError(f"state store {self.where}: {_reason(err)}") from None

    def schema_version(self) -> int:
        row = self._one("SELECT version FROM schema_version WHERE component = 'state'")
        return int(row[0]) if row else 0

    @contextmanager
    def _tx(self) -> Iterator[_CountingCursor]:
        """One transaction on one pooled connection; any psycopg error becomes a StateError."""
        with self._read() as conn, self._errors(), conn.transaction():
            yield _CountingCursor(conn.cursor(), self)

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection for one statement outside a transaction block."""
        with self._errors(), self._pool.connection(timeout=CONNECT_WAIT) as conn:
            yield conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (psycopg.Error, PoolTimeout) as err:
            raise StateError(f"state store {self.where}: {_reason(err)}") from None

    def _one(self, sql: str, *args: Any) -> Any:
        with self._read() as conn:
            self._counted()
            return conn.execute(sql.encode(), args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[Any]:
        with self._read() as conn:
            self._counted()
            return conn.execute(sql.encode(), args).fetchall()

    def _counted(self) -> None:
        with self._count:
            self.queries += 1

    # scans -----------------------------------------------------------------------------
    def put_scan(self, record: ScanRecord, tags: Sequence[str]) -> None:
        blob = zlib.compress("\n".join(tags).encode(), 6)
        values = (
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
        )
        with self._tx() as db:
            db.execute(_upsert("scans", _SCAN_ALL), values)

    def record_scan_error(self, key: str, error: str, now: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO scans (key, last_error, error_time) VALUES (%s, %s, %s) "
                "ON CONFLICT (key) DO UPDATE SET last_error = EXCLUDED.last_error, "
                "error_time = EXCLUDED.error_time",
                (key, error, encode_time(now)),
            )

    def get_scan(self, key: str) -> ScanRecord | None:
        row = self._one(f"SELECT {_SCAN_COLUMNS} FROM scans WHERE key = %s", key)
        return SQLiteStore._scan(row) if row else None

    def get_tags(self, key: str) -> list[str] | None:
        row = self._one("SELECT tags FROM scans WHERE key = %s", key)
        if not row or row[0] is None:
            return None
        text = zlib.decompress(row[0]).decode()
        return text.split("\n") if text else []

    def list_scans(self) -> list[ScanRecord]:
        rows = self._all(f"SELECT {_SCAN_COLUMNS} FROM scans ORDER BY key")
        return [SQLiteStore._scan(r) for r in rows]

    # policies --------------------------------------------------------------------------
    def get_policy(self, key: str) -> PolicyRecord | None:
        row = self._one(f"SELECT {_POLICY_COLUMNS} FROM policies WHERE key = %s", key)
        return SQLiteStore._policy(row) if row else None

    def list_policies(self) -> list[PolicyRecord]:
        rows = self._all(f"SELECT {_POLICY_COLUMNS} FROM policies ORDER BY key")
        return [SQLiteStore._policy(r) for r in rows]

    def record_policy(self, record: PolicyRecord, *, reason: str, now: datetime) -> PolicyRecord:
        """Store a policy's status; a changed latestRef becomes a new history generation."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO policies (key) VALUES (%s) ON CONFLICT DO NOTHING", (record.key,)
            )
            row = db.execute(
                f"SELECT {_POLICY_COLUMNS} FROM policies WHERE key = %s FOR UPDATE", (record.key,)
            ).fetchone()
            old = SQLiteStore._policy(row)
            if _stale(record.evaluated_time or now, old):
                return old
            generation = old.generation
            if record.latest_ref is not None and record.latest_ref != old.latest_ref:
                generation += 1
                db.execute(
                    "INSERT INTO policy_history VALUES (%s, %s, %s, %s, %s)",
                    (
                        record.key,
                        generation,
                        encode_time(now),
                        encode_ref(record.latest_ref),
                        reason,
                    ),
                )
            values = (
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
            )
            db.execute(_upsert("policies", _POLICY_COLUMNS), values)
            stored = db.execute(
                f"SELECT {_POLICY_COLUMNS} FROM policies WHERE key = %s", (record.key,)
            ).fetchone()
        return SQLiteStore._policy(stored)

    def record_policy_error(self, key: str, error: str, now: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO policies (key, last_error, evaluated_time) VALUES (%s, %s, %s) "
                "ON CONFLICT (key) DO UPDATE SET last_error = EXCLUDED.last_error, "
                "evaluated_time = EXCLUDED.evaluated_time",
                (key, error, encode_time(now)),
            )

    def history(self, key: str) -> list[HistoryEntry]:
        rows = self._all(
            "SELECT generation, time, ref, reason FROM policy_history WHERE key = %s "
            "ORDER BY generation",
            key,
        )
        out = []
        for generation, time, ref, reason in rows:
            parsed_time, parsed_ref = decode_time(time), decode_ref(ref)
            assert parsed_time is not None and parsed_ref is not None
            out.append(HistoryEntry(generation, parsed_time, parsed_ref, reason))
        return out

    def set_pin(self, key: str, generation: int | None) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO policies (key, pinned_generation) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET pinned_generation = EXCLUDED.pinned_generation",
                (key, generation),
            )

    # automations -----------------------------------------------------------------------
    def get_automation(self, key: str) -> AutomationRecord | None:
        row = self._one(f"SELECT {_AUTOMATION_COLUMNS} FROM automations WHERE key = %s", key)
        return SQLiteStore._automation(row) if row else None

    def list_automations(self) -> list[AutomationRecord]:
        rows = self._all(f"SELECT {_AUTOMATION_COLUMNS} FROM automations ORDER BY key")
        return [SQLiteStore._automation(r) for r in rows]

    def put_automation(self, record: AutomationRecord) -> None:
        observed = json.dumps({k: v.to_dict() for k, v in sorted(record.observed_policies.items())})
        values = (
            record.key,
            encode_time(record.last_run_time),
            record.last_push_commit,
            encode_time(record.last_push_time),
            observed,
            record.observed_source_revision,
            record.last_error,
            record.failures,
        )
        with self._tx() as db:
            db.execute(_upsert("automations", _AUTOMATION_COLUMNS), values)

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
        values = (key, source_ref, encode_ref(mirror_ref), digest, encode_time(now), error)
        with self._tx() as db:
            db.execute(_upsert("mirrors", _MIRROR_COLUMNS), values)

    def get_mirror(self, key: str) -> MirrorRecord | None:
        row = self._one(f"SELECT {_MIRROR_COLUMNS} FROM mirrors WHERE key = %s", key)
        if row is None:
            return None
        return MirrorRecord(row[0], row[1], decode_ref(row[2]), row[3], decode_time(row[4]), row[5])

    def close(self) -> None:
        self._pool.close()

    def snapshot(self, path: Path) -> SQLiteStore:
        """A SQLite copy of this store at `path` (for dry runs that must not change real state)."""
        from automation.state.transfer import copy_state

        target = SQLiteStore(path)
        copy_state(self, target)
        return target

    # -- whole-table access for `state migrate` --------------------------------------------
    def dump(self, table: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self._all(f"SELECT {COLUMNS[table]} FROM {table}")]

    def load(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        marks = ", ".join(["%s"] * len(COLUMNS[table].split(",")))
        with self._tx() as db:
            db.execute(f"DELETE FROM {table}")
            if rows:
                db.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})", rows)


class _CountingCursor:
    """A cursor that counts the statements it sends (`PostgresStore.queries`)."""

    def __init__(self, cursor: psycopg.Cursor[Any], store: PostgresStore) -> None:
        self._cursor = cursor
        self._store = store

    def execute(self, sql: Any, args: Any = None) -> psycopg.Cursor[Any]:
        self._store._counted()
        return self._cursor.execute(sql, args)

    def executemany(self, sql: Any, rows: Any) -> None:
        self._store._counted()
        self._cursor.executemany(sql, rows)


def _stale(evaluated: datetime, stored: PolicyRecord) -> bool:
    """An evaluation that started before the stored one, finishing after it (two replicas):
    its tags may be older, so writing it could step latestRef back and forth."""
    before = stored.evaluated_time
    if before is None or (before.tzinfo is None) != (evaluated.tzinfo is None):
        return False
    return evaluated < before


def _reason(err: BaseException) -> str:
    """The server's or libpq's first line; libpq's messages never include the password."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _upsert(table: str, columns: str) -> str:
    names = [c.strip() for c in columns.split(",")]
    marks = ", ".join(["%s"] * len(names))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in names[1:])
    return (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) "
        f"ON CONFLICT ({names[0]}) DO UPDATE SET {updates}"
    )


_SCAN_COLUMNS = (
    "key, canonical_name, tag_count, scan_time, revision, latest_tags, spec_hash, "
    "last_error, error_time"
)
_SCAN_ALL = _SCAN_COLUMNS + ", tags"
_POLICY_COLUMNS = (
    "key, latest_ref, observed_previous_ref, evaluated_time, spec_hash, "
    "repository_revision, message, last_error, generation, pinned_generation"
)
_AUTOMATION_COLUMNS = (
    "key, last_run_time, last_push_commit, last_push_time, observed_policies, "
    "observed_source_revision, last_error, failures"
)
_MIRROR_COLUMNS = "key, source_ref, mirror_ref, digest, time, error"
COLUMNS = {
    "scans": _SCAN_ALL,
    "policies": _POLICY_COLUMNS,
    "policy_history": "key, generation, time, ref, reason",
    "automations": _AUTOMATION_COLUMNS,
    "mirrors": _MIRROR_COLUMNS,
}
