"""Copy all state from one store to another, table by table, byte for byte.

`state migrate` uses it to move a SQLite file into PostgreSQL and back; a dry run against a
PostgreSQL store uses it to take a private SQLite snapshot. Columns travel in their stored
encodings (ISO times, JSON refs, zlib tag lists), so nothing is re-parsed or lost, history
generations included. Both stores meet it at `Tables`: their raw reads, their transaction and
their parameter mark.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

from automation.errors import StateError
from automation.state.schema import COLUMNS

Rows = list[tuple[Any, ...]]


@runtime_checkable
class Tables(Protocol):
    PARAM: str  # the driver's parameter mark: '?' (sqlite3) or '%s' (psycopg)

    def _all(self, sql: str, *args: Any) -> list[Any]: ...
    def _tx(self) -> AbstractContextManager[Any]: ...


def tables_of(store: object) -> Tables:
    if not isinstance(store, Tables):
        raise StateError(f"cannot copy the tables of {type(store).__name__}")
    return store


def dump(store: Tables, table: str) -> Rows:
    return [tuple(r) for r in store._all(f"SELECT {COLUMNS[table]} FROM {table}")]


def row_counts(store: Tables) -> dict[str, int]:
    return {table: len(dump(store, table)) for table in COLUMNS}


def copy_state(source: Tables, target: Tables) -> dict[str, int]:
    """Replace everything in `target` with `source`'s rows and return rows per table.

    One transaction on the target: every table is replaced and read back there before it
    commits, so a row the target refuses or a copy that differs leaves the target as it was."""
    tables = {table: dump(source, table) for table in COLUMNS}
    with target._tx() as db:
        for table, rows in tables.items():
            db.execute(f"DELETE FROM {table}")
            if rows:
                marks = ", ".join([target.PARAM] * len(COLUMNS[table].split(",")))
                db.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})", rows)
            copied = db.execute(f"SELECT {COLUMNS[table]} FROM {table}").fetchall()
            if sorted(map(_comparable, copied)) != sorted(map(_comparable, rows)):
                raise StateError(f"copy of {table} differs from its source; target left as is")
    return {table: len(rows) for table, rows in tables.items()}


def _comparable(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # psycopg returns BYTEA as bytes, sqlite3 BLOB as bytes too; memoryview only from old
    # drivers. Normalise so the check compares content, not types.
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
