"""The state database's schema: one SQL script per version, applied in order.

SQLite records how far a database has been migrated in `PRAGMA user_version`, PostgreSQL in the
`schema_version` table; both run the same scripts. A migration is never edited once released,
only new ones appended. Also the text encodings of times and refs in columns.
"""

from __future__ import annotations

import json
from datetime import datetime

from automation.reference import LatestRef

# Index i holds the script that upgrades a database from version i to i + 1.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE scans (
        key TEXT PRIMARY KEY, canonical_name TEXT NOT NULL DEFAULT '',
        tag_count INTEGER NOT NULL DEFAULT 0, scan_time TEXT, revision TEXT NOT NULL DEFAULT '',
        latest_tags TEXT NOT NULL DEFAULT '[]', spec_hash TEXT NOT NULL DEFAULT '',
        last_error TEXT NOT NULL DEFAULT '', error_time TEXT, tags BLOB
    );
    CREATE TABLE policies (
        key TEXT PRIMARY KEY, latest_ref TEXT, observed_previous_ref TEXT, evaluated_time TEXT,
        spec_hash TEXT NOT NULL DEFAULT '', repository_revision TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '', last_error TEXT NOT NULL DEFAULT '',
        generation INTEGER NOT NULL DEFAULT 0, pinned_generation INTEGER
    );
    CREATE TABLE policy_history (
        key TEXT NOT NULL, generation INTEGER NOT NULL, time TEXT NOT NULL,
        ref TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (key, generation)
    );
    CREATE TABLE automations (
        key TEXT PRIMARY KEY, last_run_time TEXT, last_push_commit TEXT NOT NULL DEFAULT '',
        last_push_time TEXT, observed_policies TEXT NOT NULL DEFAULT '{}',
        observed_source_revision TEXT NOT NULL DEFAULT '', last_error TEXT NOT NULL DEFAULT '',
        failures INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 2: mirror copies per ImagePolicy
    """
    CREATE TABLE mirrors (
        key TEXT PRIMARY KEY, source_ref TEXT NOT NULL, mirror_ref TEXT,
        digest TEXT NOT NULL DEFAULT '', time TEXT, error TEXT NOT NULL DEFAULT ''
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

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

# Column lists in table order, as both stores read and write them.
SCAN_COLUMNS = (
    "key, canonical_name, tag_count, scan_time, revision, latest_tags, spec_hash, "
    "last_error, error_time"
)
SCAN_ALL = SCAN_COLUMNS + ", tags"
POLICY_COLUMNS = (
    "key, latest_ref, observed_previous_ref, evaluated_time, spec_hash, "
    "repository_revision, message, last_error, generation, pinned_generation"
)
AUTOMATION_COLUMNS = (
    "key, last_run_time, last_push_commit, last_push_time, observed_policies, "
    "observed_source_revision, last_error, failures"
)
MIRROR_COLUMNS = "key, source_ref, mirror_ref, digest, time, error"
COLUMNS = {
    "scans": SCAN_ALL,
    "policies": POLICY_COLUMNS,
    "policy_history": "key, generation, time, ref, reason",
    "automations": AUTOMATION_COLUMNS,
    "mirrors": MIRROR_COLUMNS,
}


def encode_time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def decode_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def encode_ref(value: LatestRef | None) -> str | None:
    return json.dumps(value.to_dict(), sort_keys=True) if value is not None else None


def decode_ref(value: str | None) -> LatestRef | None:
    if not value:
        return None
    data = json.loads(value)
    return LatestRef(data["name"], data["tag"], data.get("digest", ""))


def postgres_script(script: str) -> str:
    """A migration in PostgreSQL's spelling: the one type name that differs (BLOB)."""
    return script.replace(" BLOB", " BYTEA")
