"""PostgreSQL implementation of `StateStore`, shared by any number of daemon replicas.

The same tables and migration scripts as SQLite (`schema`), versioned in `schema_version`;
replicas starting together migrate under an advisory lock. Every state change is one
transaction; `record_policy` locks the policy's row, so two replicas evaluating the same policy
at once add one history generation, not two, and an evaluation that started before the stored
one is dropped rather than stepping latestRef back. Connections, their pool and errors are in
`pgserver`; the tables for replicas' leases in `schema.COORDINATION_MIGRATIONS`.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

from automation.errors import StateError
from automation.reference import LatestRef
from automation.state.location import ServerLocation, server_location
from automation.state.pgserver import POOL_SIZE, Cursor, Server
from automation.state.reads import StoreReads, policy_record
from automation.state.records import (
    AutomationRecord,
    PolicyRecord,
    ScanRecord,
)
from automation.state.schema import (
    AUTOMATION_COLUMNS,
    COORDINATION_MIGRATIONS,
    MIGRATIONS,
    MIRROR_COLUMNS,
    POLICY_COLUMNS,
    SCAN_ALL,
    encode_ref,
    encode_time,
    postgres_script,
)
from automation.state.sqlite import SQLiteStore
from automation.state.transfer import copy_state


def open_server(url: str, password_file: Path | None = None) -> PostgresStore:
    """The store on the server at `url` (no password in it; see `location`)."""
    return PostgresStore(server_location(url, password_file))


class PostgresStore(StoreReads):
    PARAM = "%s"  # psycopg's parameter mark (`transfer` writes tables with it)

    def __init__(self, location: ServerLocation, *, pool_size: int = POOL_SIZE) -> None:
        self.location = location
        self.server = Server(location, pool_size=pool_size)
        try:
            self.server.migrate(
                {
                    "state": [postgres_script(m) for m in MIGRATIONS],
                    "coordination": COORDINATION_MIGRATIONS,
                }
            )
        except StateError:
            self.server.close()
            raise

    @property
    def where(self) -> str:
        return self.location.url

    def schema_version(self) -> int:
        row = self._one("SELECT version FROM schema_version WHERE component = 'state'")
        return int(row[0]) if row else 0

    def _tx(self) -> AbstractContextManager[Cursor]:
        return self.server.transaction()

    def _one(self, sql: str, *args: Any) -> Any:
        return self.server.one(sql, *args)

    def _all(self, sql: str, *args: Any) -> list[Any]:
        return self.server.all(sql, *args)

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
        self.server.execute(_upsert("scans", SCAN_ALL), values)

    def record_scan_error(self, key: str, error: str, now: datetime) -> None:
        self.server.execute(
            "INSERT INTO scans (key, last_error, error_time) VALUES (%s, %s, %s) "
            "ON CONFLICT (key) DO UPDATE SET last_error = EXCLUDED.last_error, "
            "error_time = EXCLUDED.error_time",
            (key, error, encode_time(now)),
        )

    # policies --------------------------------------------------------------------------
    def record_policy(self, record: PolicyRecord, *, reason: str, now: datetime) -> PolicyRecord:
        """Store a policy's status; a changed latestRef becomes a new history generation."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO policies (key) VALUES (%s) ON CONFLICT DO NOTHING", (record.key,)
            )
            row = db.execute(
                f"SELECT {POLICY_COLUMNS} FROM policies WHERE key = %s FOR UPDATE", (record.key,)
            ).fetchone()
            old = policy_record(row)
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
            db.execute(_upsert("policies", POLICY_COLUMNS), values)
            stored = db.execute(
                f"SELECT {POLICY_COLUMNS} FROM policies WHERE key = %s", (record.key,)
            ).fetchone()
        return policy_record(stored)

    def record_policy_error(self, key: str, error: str, now: datetime) -> None:
        self.server.execute(
            "INSERT INTO policies (key, last_error, evaluated_time) VALUES (%s, %s, %s) "
            "ON CONFLICT (key) DO UPDATE SET last_error = EXCLUDED.last_error, "
            "evaluated_time = EXCLUDED.evaluated_time",
            (key, error, encode_time(now)),
        )

    def set_pin(self, key: str, generation: int | None) -> None:
        self.server.execute(
            "INSERT INTO policies (key, pinned_generation) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET pinned_generation = EXCLUDED.pinned_generation",
            (key, generation),
        )

    # automations -----------------------------------------------------------------------
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
        self.server.execute(_upsert("automations", AUTOMATION_COLUMNS), values)

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
        self.server.execute(_upsert("mirrors", MIRROR_COLUMNS), values)

    def close(self) -> None:
        self.server.close()

    def snapshot(self, path: Path) -> SQLiteStore:
        """A SQLite copy of this store at `path` (for dry runs that must not change real state)."""
        target = SQLiteStore(path)
        copy_state(self, target)
        return target


def _stale(evaluated: datetime, stored: PolicyRecord) -> bool:
    """An evaluation that started before the stored one, finishing after it (two replicas):
    its tags may be older, so writing it could step latestRef back and forth."""
    before = stored.evaluated_time
    if before is None or (before.tzinfo is None) != (evaluated.tzinfo is None):
        return False
    return evaluated < before


def _upsert(table: str, columns: str) -> str:
    names = [c.strip() for c in columns.split(",")]
    marks = ", ".join(["%s"] * len(names))
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in names[1:])
    return (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks}) "
        f"ON CONFLICT ({names[0]}) DO UPDATE SET {updates}"
    )
