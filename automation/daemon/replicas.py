"""Several `run` replicas on one PostgreSQL database: the schedule lives in the database.

`SharedScheduler` offers the daemon the same calls as the in-process `Scheduler` (ensure,
trigger_now, remove, shutdown), but a job runs where it is claimed, not where it was added:
every replica registers the jobs of its config (and shard), and a poll loop claims due jobs
with a time-bounded lease (`automation.state.leases`) up to `capacity` at a time, so a replica
with spare capacity takes more. A lease is renewed every third of its TTL while the job runs
and released when it ends; the next run's time goes back to the table. A trigger (new
latestRef, webhook) marks the job due in the database, so whichever replica holds or claims it
runs it; NOTIFY wakes the others at once. A replica that dies keeps its leases until the TTL
runs out, then another claims the work (a takeover). On SIGTERM, work that was abandoned is
handed back as due at once, without waiting for the TTL.

While the database is unreachable the replica reports not ready and polls with backoff;
its running jobs go on (their writes fail and retry like any other failure).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from automation.config import (
    Config,
    ImagePolicy,
    ImageRepository,
    ImageUpdateAutomation,
    ObjectKey,
)
from automation.daemon.plan import JobKind, JobSpec, backoff
from automation.daemon.scheduler import JobFunc, LagStats, utc_now
from automation.errors import AutomationError, StateError
from automation.state.leases import Claim, JobRow, LeaseBoard, Listener
from automation.state.postgres import PostgresStore
from automation.steps.gitplan import git_plan

log = logging.getLogger("automation.daemon")
T = TypeVar("T")

SHARD_LABEL = "sharding.fluxcd.io/key"  # the label Flux's controllers shard by
LEASE_TTL = timedelta(seconds=30)
POLL_SECONDS = 1.0
CAPACITY = 64  # jobs one replica runs at once (scans share registry passes)
# Jobs claimed per statement: small enough that replicas woken together interleave their
# claims (an even share), large enough that a burst of due jobs costs few round trips.
CLAIM_BATCH = 16
LOCK_RETRY = timedelta(seconds=2)  # an automation whose git branch is busy elsewhere
BACKOFF_CAP = timedelta(seconds=30)


def default_replica_id() -> str:
    """Host name (the pod name on Kubernetes) and a random suffix: unique per process."""
    return f"{socket.gethostname()}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class ReplicaOptions:
    replica_id: str
    shard: str = ""  # '' = objects without the shard label
    lease_ttl: timedelta = LEASE_TTL
    poll_seconds: float = POLL_SECONDS
    capacity: int = CAPACITY


def shard_of(config: Config, spec: JobSpec) -> str:
    """The value of the object's shard label ('' when it has none)."""
    key = ObjectKey.parse(spec.key)
    found: ImageRepository | ImagePolicy | ImageUpdateAutomation | None
    if spec.kind is JobKind.SCAN:
        found = config.image_repositories.get(key)
    elif spec.kind is JobKind.POLICY:
        found = config.image_policies.get(key)
    else:
        found = config.automations.get(key)
    return found.metadata.labels.get(SHARD_LABEL, "") if found is not None else ""


def git_lock_name(config: Config, auto: ImageUpdateAutomation) -> str | None:
    """`git:URL#BRANCH` of the branch the automation pushes to (userinfo dropped)."""
    try:
        plan = git_plan(config, auto)
    except AutomationError:
        return None  # the run reports the config error; nothing to push, nothing to lock
    parts = urlsplit(plan.url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    url = urlunsplit((parts.scheme, netloc, parts.path, "", "")) if parts.scheme else plan.url
    return f"git:{url}#{plan.target.branch}"


def shared_scheduler(store: object, options: ReplicaOptions) -> SharedScheduler | None:
    """A shared schedule when the state store is a PostgreSQL server, else None."""
    return SharedScheduler(store, options) if isinstance(store, PostgresStore) else None


@dataclass(frozen=True)
class _Pending:
    register: list[JobRow]
    unregister: set[str]
    triggers: set[str]


class SharedScheduler:
    """The `Scheduler` calls the daemon makes, on the database's job table."""

    def __init__(self, store: PostgresStore, options: ReplicaOptions) -> None:
        self.options = options
        self.board = LeaseBoard(store, options.replica_id, options.lease_ttl)
        self.lag = LagStats()
        self.on_start: Callable[[float], None] | None = None
        self.on_takeover: Callable[[str, str], None] | None = None
        self.stop_requested: Callable[[], bool] | None = None  # the daemon is stopping
        self.healthy = False
        self.takeovers = 0
        self._store = store
        self._funcs: dict[str, JobFunc] = {}
        self._running: dict[str, asyncio.Task[None]] = {}
        self._register: dict[str, JobRow] = {}
        self._unregister: set[str] = set()
        self._triggers: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self._listener = Listener(store, self._wake_threadsafe)

    def halting(self) -> bool:
        return self._stopping or (self.stop_requested is not None and self.stop_requested())

    @property
    def held(self) -> int:
        return len(self._running)

    @property
    def reachable(self) -> bool:
        """False as soon as any call (a job's, not only the poll) found no connection."""
        return self._store.server.reachable

    # -- the Scheduler calls ------------------------------------------------------------

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._listener.start()
        self._tasks = [
            self._loop.create_task(self._poll(), name="lease-poll"),
            self._loop.create_task(self._renew(), name="lease-renew"),
        ]

    def ensure(
        self, job_id: str, interval: timedelta, func: JobFunc, *, first_run: datetime
    ) -> None:
        self._funcs[job_id] = func
        self._unregister.discard(job_id)
        self._register[job_id] = JobRow(job_id, interval, first_run, self.options.shard)
        self._wake.set()

    def trigger_now(self, job_id: str) -> None:
        """Thread-safe: the webhook listener calls it from its own thread."""
        loop = self._loop
        if loop is None or _in_loop(loop):
            self._trigger(job_id)
        else:
            loop.call_soon_threadsafe(self._trigger, job_id)

    def _trigger(self, job_id: str) -> None:
        # Jobs of other shards too: a webhook any replica receives reaches the one that runs it.
        if not self._stopping:
            self._triggers.add(job_id)
            self._wake.set()

    def remove(self, job_id: str) -> None:
        if self._funcs.pop(job_id, None) is not None:
            self._register.pop(job_id, None)
            self._unregister.add(job_id)
            self._wake.set()

    def job_ids(self) -> set[str]:
        return set(self._funcs)

    def next_run(self, job_id: str) -> datetime | None:
        return None  # in the database, shared; not tracked per replica

    def is_running(self, job_id: str) -> bool:
        return job_id in self._running

    async def shutdown(self, *, wait: bool = True) -> None:
        """Stop claiming; let running jobs end (or cancel them); hand back what is left."""
        self._stopping = True
        self._wake.set()
        poll, renew = self._tasks
        await asyncio.gather(poll, return_exceptions=True)  # ends after its current claim
        running = list(self._running.values())
        if not wait:
            for task in running:
                task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        renew.cancel()
        await asyncio.gather(renew, return_exceptions=True)
        await self._db(self._listener.stop)
        try:
            await self._db(self.board.abandon, list(self._running), True)
        except StateError as err:
            log.warning("could not hand leases back (they expire after the TTL): %s", err)

    # -- the loops ----------------------------------------------------------------------

    async def _poll(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            wait = self.options.poll_seconds
            pending = self._take_pending()
            try:
                claims = await self._db(self._sync, pending)
            except StateError as err:
                self._requeue(pending)
                failures += 1
                wait = backoff(failures, base=timedelta(seconds=1), cap=BACKOFF_CAP).total_seconds()
                if self.healthy or failures == 1:
                    log.warning("state database unreachable, retry in %.0fs: %s", wait, err)
                self.healthy = False
                claims = []
            else:
                if not self.healthy:
                    log.info("state database reachable; claiming work")
                self.healthy, failures = True, 0
            if claims and self.halting():  # stopped while claiming: hand them back unrun
                await self._db(self.board.abandon, [c.name for c in claims])
                return
            for claim in claims:
                self._begin(claim)
            if claims and self.held < self.options.capacity:
                continue  # more may be due right now
            await _wait(self._wake, wait)

    def _take_pending(self) -> _Pending:
        """Registrations, removals and triggers since the last poll (taken in the loop)."""
        pending = _Pending(list(self._register.values()), self._unregister, self._triggers)
        self._register, self._unregister, self._triggers = {}, set(), set()
        return pending

    def _requeue(self, pending: _Pending) -> None:
        for row in pending.register:
            self._register.setdefault(row.name, row)
        self._unregister |= pending.unregister - set(self._register)
        self._triggers |= pending.triggers

    def _sync(self, pending: _Pending) -> list[Claim]:
        """Push registrations and triggers to the database, then claim what is due."""
        self.board.register(pending.register)
        if pending.unregister:
            self.board.unregister(pending.unregister)
        if pending.triggers:
            self.board.trigger(pending.triggers)
        if self.halting():
            return []
        room = min(CLAIM_BATCH, self.options.capacity - self.held)
        return self.board.claim_due(self.options.shard, room)

    def _begin(self, claim: Claim) -> None:
        if claim.previous is not None:
            self.takeovers += 1
            log.info("took over %s from %s (lease expired)", claim.name, claim.previous)
            if self.on_takeover is not None:
                self.on_takeover(claim.name, claim.previous)
        lag = (utc_now() - claim.due).total_seconds()
        self.lag.add(lag)
        if self.on_start is not None:
            self.on_start(lag)
        assert self._loop is not None
        self._running[claim.name] = self._loop.create_task(self._run(claim.name))

    async def _run(self, name: str) -> None:
        func = self._funcs.get(name)  # None: removed from this replica's config meanwhile
        abandoned, delay = False, None
        try:
            if func is not None:
                delay = await func()
        except asyncio.CancelledError:
            abandoned = True
        except Exception:  # a bug in one job must not stop the others
            log.exception("job %s crashed", name)
        finally:
            # Listed as running until the lease is back in the table, so a renewal or a
            # shutdown in between does not hand it back twice.
            try:
                if abandoned or self.halting():
                    # Stopping: what ran was skipped or is safe to run again (every step is
                    # idempotent); due at once for a replica that stays.
                    await self._db(self.board.abandon, [name])
                else:
                    await self._db(self.board.release, name, delay)
            except StateError as err:
                log.warning("lease of %s not released (expires after the TTL): %s", name, err)
            finally:
                self._running.pop(name, None)
                self._wake.set()

    async def _renew(self) -> None:
        period = self.options.lease_ttl.total_seconds() / 3
        while not self._stopping:
            await asyncio.sleep(period)
            names = set(self._running)
            try:
                kept = await self._db(self.board.renew, names)
            except StateError as err:
                self.healthy = False
                log.warning("leases not renewed: %s", err)
                continue
            for lost in sorted(n for n in names - kept if n in self._running):
                log.warning("lease of %s lost to another replica (expired)", lost)

    async def _db(self, func: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, func, *args)

    def _wake_threadsafe(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    # -- named locks for the git stage --------------------------------------------------

    @contextmanager
    def locked(self, name: str) -> Iterator[bool]:
        """Hold the named lock while the block runs (from a worker thread); False if busy."""
        taken = self.board.lock(name)
        try:
            yield taken
        finally:
            if taken:
                self.board.unlock(name)


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)
