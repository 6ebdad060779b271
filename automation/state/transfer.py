"""Copy all state from one store to another, table by table, byte for byte.

`state migrate` uses it to move a SQLite file into PostgreSQL and back; a dry run against a
PostgreSQL store uses it to take a private SQLite snapshot. Columns travel in their stored
encodings (ISO times, JSON refs, zlib tag lists), so nothing is re-parsed or lost, history
generations included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from automation.errors import StateError
from automation.state.postgres import PostgresStore
from automation.state.schema import COLUMNS
from automation.state.sqlite import SQLiteStore
from automation.state.store import StateStore

Rows = list[tuple[Any, ...]]


def dump(store: StateStore, table: str) -> Rows:
    if not isinstance(store, PostgresStore | SQLiteStore):
        raise StateError(f"cannot read tables of {type(store).__name__}")
    return [tuple(r) for r in store._all(f"SELECT {COLUMNS[table]} FROM {table}")]


def load(store: StateStore, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Replace the table's rows, in one transaction."""
    if not isinstance(store, PostgresStore | SQLiteStore):
        raise StateError(f"cannot write tables of {type(store).__name__}")
    mark = "%s" if isinstance(store, PostgresStore) else "?"
    marks = ", ".join([mark] * len(COLUMNS[table].split(",")))
    with store._tx() as db:
        db.execute(f"DELETE FROM {table}")
        if rows:
            db.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})", rows)


def row_counts(store: StateStore) -> dict[str, int]:
    return {table: len(dump(store, table)) for table in COLUMNS}


def copy_state(source: StateStore, target: StateStore) -> dict[str, int]:
    """Replace everything in `target` with `source`'s rows; verify; return rows per table."""
    copied: dict[str, int] = {}
    for table in COLUMNS:
        rows = dump(source, table)
        load(target, table, rows)
        if sorted(map(_comparable, dump(target, table))) != sorted(map(_comparable, rows)):
            raise StateError(f"copy of {table} differs from its source; target left as is")
        copied[table] = len(rows)
    return copied


def _comparable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # psycopg returns BYTEA as bytes, sqlite3 BLOB as bytes too; memoryview only from old
    # drivers. Normalise so the check compares content, not types.
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
