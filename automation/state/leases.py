"""Leases in PostgreSQL: which replica runs which job, named locks, and wake-up events.

The `jobs` table is the shared schedule: one row per job (scan, policy, automation) with its
interval, next run and, while a replica works on it, the holder and the time its lease
expires. `claim_due` takes due rows whose lease is free or expired with
`FOR UPDATE SKIP LOCKED`, so replicas polling at the same moment never get the same row and
never wait on each other. Expiry uses the server's clock only (`now()`), so replicas with
skewed clocks still agree. A trigger (a new latestRef, a webhook) sets the row due at once and
marks it, so a run going on elsewhere runs again when its holder releases it; `NOTIFY` wakes
the other replicas instead of waiting for their next poll.

`locks` are leases on a name (a git URL and branch) taken by whichever job needs them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from automation.errors import StateError
from automation.state.postgres import PostgresStore

log = logging.getLogger(__name__)
CHANNEL = "image_automation_jobs"


@dataclass(frozen=True)
class JobRow:
    name: str
    interval: timedelta
    first_run: datetime
    shard: str = ""


@dataclass(frozen=True)
class Claim:
    name: str
    due: datetime  # when it was due: now - due is the job's start lag
    previous: str | None  # the holder whose lease had expired (a takeover), else None


class LeaseBoard:
    """One replica's view of the shared schedule; every method is one transaction."""

    def __init__(self, store: PostgresStore, holder: str, ttl: timedelta) -> None:
        self.store = store
        self.server = store.server
        self.holder = holder
        self.ttl = ttl

    @property
    def _ttl(self) -> float:
        return self.ttl.total_seconds()

    def register(self, rows: Sequence[JobRow]) -> None:
        """Add jobs; an existing row keeps its next run (another replica scheduled it)."""
        if not rows:
            return
        self.server.execute(
            "INSERT INTO jobs (name, shard, interval_seconds, next_run) "
            "SELECT * FROM unnest(%s::text[], %s::text[], %s::float8[], %s::timestamptz[]) "
            "ON CONFLICT (name) DO UPDATE SET shard = EXCLUDED.shard, "
            "interval_seconds = EXCLUDED.interval_seconds",
            (
                [r.name for r in rows],
                [r.shard for r in rows],
                [r.interval.total_seconds() for r in rows],
                [r.first_run for r in rows],
            ),
        )

    def unregister(self, names: Iterable[str]) -> None:
        self.server.execute("DELETE FROM jobs WHERE name = ANY(%s)", (sorted(names),))

    def claim_due(self, shard: str, limit: int) -> list[Claim]:
        if limit <= 0:
            return []
        rows = self.server.execute(
            "WITH due AS (SELECT name, holder, next_run FROM jobs "
            "  WHERE shard = %s AND next_run <= now() AND (holder IS NULL OR expires < now()) "
            "  ORDER BY next_run LIMIT %s FOR UPDATE SKIP LOCKED) "
            "UPDATE jobs SET holder = %s, expires = now() + make_interval(secs => %s), "
            "triggered = FALSE FROM due WHERE jobs.name = due.name "
            "RETURNING jobs.name, due.next_run, due.holder",
            (shard, limit, self.holder, self._ttl),
        )
        return [Claim(name, due, prev if prev != self.holder else None) for name, due, prev in rows]

    def renew(self, names: Iterable[str]) -> set[str]:
        """Extend the leases still ours; returns those (a missing one was taken over)."""
        wanted = sorted(names)
        if not wanted:
            return set()
        with self.server.transaction() as db:
            rows = db.execute(
                "UPDATE jobs SET expires = now() + make_interval(secs => %s) "
                "WHERE holder = %s AND name = ANY(%s) RETURNING name",
                (self._ttl, self.holder, wanted),
            ).fetchall()
            db.execute(
                "UPDATE locks SET expires = now() + make_interval(secs => %s) WHERE holder = %s",
                (self._ttl, self.holder),
            )
        return {r[0] for r in rows}

    def release(self, name: str, delay: timedelta | None) -> None:
        """Done: the next run after `delay` (its interval when None), or at once if triggered
        meanwhile (then the other replicas are woken). One statement."""
        self.server.execute(
            "WITH done AS (UPDATE jobs SET holder = NULL, expires = NULL, next_run = CASE "
            "  WHEN triggered THEN now() "
            "  WHEN %s::float8 IS NULL THEN now() + make_interval(secs => interval_seconds) "
            "  ELSE now() + make_interval(secs => %s::float8) END, triggered = FALSE "
            "  WHERE name = %s AND holder = %s RETURNING next_run <= now() AS due) "
            f"SELECT pg_notify('{CHANNEL}', '') FROM done WHERE due",
            (_seconds(delay), _seconds(delay), name, self.holder),
        )

    def abandon(self, names: Iterable[str], locks: bool = False) -> None:
        """Give up these leases without running (SIGTERM): due at once for another replica;
        with `locks`, every named lock this replica holds too."""
        with self.server.transaction() as db:
            db.execute(
                "UPDATE jobs SET holder = NULL, expires = NULL, next_run = LEAST(next_run, now()) "
                "WHERE holder = %s AND name = ANY(%s)",
                (self.holder, sorted(names)),
            )
            if locks:
                db.execute("DELETE FROM locks WHERE holder = %s", (self.holder,))
            db.execute(f"NOTIFY {CHANNEL}")

    def trigger(self, names: Iterable[str]) -> None:
        """Run these jobs at once, wherever they are claimed; a running one runs again."""
        self.server.execute(
            "WITH due AS (UPDATE jobs SET next_run = LEAST(next_run, now()), triggered = TRUE "
            "  WHERE name = ANY(%s) RETURNING 1) "
            f"SELECT pg_notify('{CHANNEL}', '') WHERE EXISTS (SELECT 1 FROM due)",
            (sorted(names),),
        )

    def lock(self, name: str) -> bool:
        """Take the named lock unless another replica holds an unexpired one."""
        rows = self.server.execute(
            "INSERT INTO locks VALUES (%s, %s, now() + make_interval(secs => %s)) "
            "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, "
            "expires = EXCLUDED.expires "
            "WHERE locks.expires < now() OR locks.holder = EXCLUDED.holder RETURNING name",
            (name, self.holder, self._ttl),
        )
        return bool(rows)

    def unlock(self, name: str) -> None:
        self.server.execute(
            "DELETE FROM locks WHERE name = %s AND holder = %s", (name, self.holder)
        )

    def holders(self) -> dict[str, str]:
        """Job name -> holder of every unexpired lease (for tests and status)."""
        rows = self.server.all(
            "SELECT name, holder FROM jobs WHERE holder IS NOT NULL AND expires >= now()"
        )
        return dict(rows)


def _seconds(delay: timedelta | None) -> float | None:
    return delay.total_seconds() if delay is not None else None


class Listener:
    """A thread on its own connection that calls `wake()` on each NOTIFY of the job channel,
    reconnecting (with a pause) when the server goes away."""

    def __init__(self, store: PostgresStore, wake: Callable[[], None]) -> None:
        self.store = store
        self.wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.store.server.connect(autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self.wake()
            except (psycopg.Error, StateError) as err:
                log.debug("lease listener: %s; reconnecting", err)
                self.wake()  # the poll loop sees the outage and reports it
                self._stop.wait(1.0)
