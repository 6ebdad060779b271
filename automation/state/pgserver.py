"""Connections to one PostgreSQL server: a checked pool, transactions, migrations, errors.

Connections are in autocommit mode: a read, or a write that is one statement, is a
transaction of its own (one round trip, where BEGIN/COMMIT around it would take three); a
change of several statements opens a transaction block with `transaction()`. The pool
checks a connection before lending it when it has been idle a while (checking a busy one would
double the round trips), and a read that meets a connection the server dropped is tried once
more on a fresh one, so a restarted server costs at most a failed write, not a process restart.
Every psycopg error becomes a `StateError` naming the server by its URL (which never holds a
password) and libpq's first line.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from automation.errors import StateError
from automation.state.location import ServerLocation

MIGRATION_LOCK = 7_263_551  # pg_advisory_xact_lock key: one migrating replica at a time
POOL_SIZE = 8
# How long a call waits for a pooled connection while the server is unreachable, before it
# fails with StateError (the daemon then reports not ready and backs off).
CONNECT_WAIT = 5.0
IDLE_CHECK = 2.0  # seconds in the pool after which a connection is checked before use
Cursor = psycopg.Cursor[Any]


class Server:
    def __init__(self, location: ServerLocation, *, pool_size: int = POOL_SIZE) -> None:
        self.location = location
        self._idle_since: dict[int, float] = {}  # id(connection) -> when it went back
        self.reachable = True  # False from a call that got no connection to the next that did
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
            check=self._check,
            reset=self._returned,
            name="state",
        )
        try:
            # One direct connection first: a wrong password or an unknown host fails at once
            # with libpq's reason, where the pool would keep retrying until its timeout.
            psycopg.connect(location.url, **kwargs).close()
            self._pool.open(wait=True, timeout=CONNECT_WAIT * 3)
        except (psycopg.Error, PoolTimeout) as err:
            self._pool.close()
            raise StateError(f"cannot open state store {self.where}: {reason(err)}") from None

    def _returned(self, conn: psycopg.Connection[Any]) -> None:
        self._idle_since[id(conn)] = time.monotonic()

    def _check(self, conn: psycopg.Connection[Any]) -> None:
        if time.monotonic() - self._idle_since.get(id(conn), 0.0) > IDLE_CHECK:
            ConnectionPool.check_connection(conn)

    @property
    def where(self) -> str:
        return self.location.url

    def close(self) -> None:
        self._pool.close()

    def connect(self, *, autocommit: bool = False) -> psycopg.Connection[Any]:
        """A connection of its own, outside the pool (LISTEN needs one that stays open)."""
        try:
            return psycopg.connect(self.location.url, **{**self._kwargs, "autocommit": autocommit})
        except psycopg.Error as err:
            raise StateError(f"state store {self.where}: {reason(err)}") from None

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One transaction on one pooled connection."""
        with self._connection() as conn, self._errors(), conn.transaction():
            yield conn.cursor()

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        with self._errors(), self._pooled() as conn:
            yield conn

    @contextmanager
    def _pooled(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection; `reachable` says whether the last call got one, so readiness
        turns false on the first call that finds the server away, whichever thread made it."""
        try:
            with self._pool.connection(timeout=CONNECT_WAIT) as conn:
                self.reachable = True
                yield conn
        except PoolTimeout:
            self.reachable = False
            raise

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (psycopg.Error, PoolTimeout) as err:
            raise StateError(f"state store {self.where}: {reason(err)}") from None

    def execute(self, sql: str, args: Any = ()) -> list[Any]:
        """One statement in a transaction of its own (autocommit); its rows if it returns any.
        Never retried: a write is not repeated on a connection that broke under it."""
        with self._connection() as conn:
            cursor = conn.execute(sql.encode(), args)
            return cursor.fetchall() if cursor.description is not None else []

    def one(self, sql: str, *args: Any) -> Any:
        """One statement outside a transaction block: its first row."""
        rows = self.all(sql, *args)
        return rows[0] if rows else None

    def all(self, sql: str, *args: Any) -> list[Any]:
        for attempt in (1, 2):
            try:
                with self._pooled() as conn:
                    return conn.execute(sql.encode(), args).fetchall()
            except PoolTimeout as err:  # no connection at all: the server is away
                raise StateError(f"state store {self.where}: {reason(err)}") from None
            except psycopg.OperationalError as err:
                # A connection the server dropped (a restart): the pool discards it on
                # return, and reading again on another is safe.
                if attempt == 2:
                    raise StateError(f"state store {self.where}: {reason(err)}") from None
            except psycopg.Error as err:
                raise StateError(f"state store {self.where}: {reason(err)}") from None
        raise AssertionError("unreachable")

    def migrate(self, components: dict[str, list[str]]) -> None:
        """Bring each component's tables to its last script, under the migration lock."""
        with self.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
            for component, scripts in components.items():
                self._apply(db, component, scripts)

    def _apply(self, db: Cursor, component: str, scripts: list[str]) -> None:
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


def reason(err: BaseException) -> str:
    """The server's or libpq's first line; libpq's messages never include the password."""
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
