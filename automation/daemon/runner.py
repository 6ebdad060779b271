"""The daemon: config -> scheduled jobs, reloads, start and stop.

In: the loaded policy sources, a state store, options. Out: one job per ImageRepository,
`Always` ImagePolicy and ImageUpdateAutomation (their work is in `chain`), plus a reload job
that re-reads the sources every `reload_interval` and makes the jobs match: new objects are
scheduled, deleted ones unscheduled, changed ones re-run at once. A broken config keeps the
last good one in force (`reload`). First runs come from the state store, so a restart does
not rescan what was scanned a minute ago.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from automation.config import Config, ImageUpdateAutomation, ObjectKey
from automation.daemon.chain import Chain, Observer, note
from automation.daemon.plan import (
    JITTER_CAP,
    JobKind,
    JobSpec,
    desired_jobs,
    diff_jobs,
    first_run,
    is_due_now,
    job_id,
    spread,
)
from automation.daemon.policysource import LoadedConfig, PolicySource
from automation.daemon.reload import ConfigReloader
from automation.daemon.replicas import SharedScheduler, git_lock_name, shard_of
from automation.daemon.scheduler import JobFunc, Scheduler, utc_now
from automation.state import StateStore
from automation.steps.crosscheck import crosscheck
from automation.steps.due import spec_hash
from automation.steps.scan import repository_hash

RELOAD_JOB = "reload:config"


@dataclass(frozen=True)
class DaemonOptions:
    sources: tuple[PolicySource, ...]
    secrets: tuple[Path, ...]
    cache: Path  # clones of automation targets; policy sources in reload.policy_cache(cache)
    reload_interval: timedelta = timedelta(minutes=1)
    git_workers: int = 2
    jitter: timedelta = JITTER_CAP  # first runs spread over at most this long
    shard: str = ""  # run the objects labelled with this shard ('' = the unlabelled ones)


class Daemon:
    def __init__(
        self,
        loaded: LoadedConfig,
        store: StateStore,
        options: DaemonOptions,
        *,
        observer: Observer | None = None,
        clock: Callable[[], datetime] = utc_now,
        shared: SharedScheduler | None = None,
    ) -> None:
        self.store = store
        self.options = options
        self.clock = clock
        # One process: jobs in memory. Replicas: the schedule and its leases in the database.
        self.scheduler: Scheduler | SharedScheduler = shared or Scheduler(clock=clock)
        self.reloader = ConfigReloader(options.sources, options.secrets, options.cache, loaded)
        self.chain = Chain(
            loaded.config,
            store,
            self.scheduler,
            options.cache,
            clock,
            git_workers=options.git_workers,
        )
        self.chain.observer = observer
        if shared is not None:
            shared.stop_requested = lambda: self.chain.stopping
            self.chain.git_lock = self._git_lock
        self._jobs: dict[str, JobSpec] = {}
        self._policy_prints: dict[str, str] = {}
        self._started = False
        self._background: set[asyncio.Task[None]] = set()
        self._unspread: set[str] = set()  # jobs due at start-up, bunched in the jitter window

    @property
    def config(self) -> Config:
        return self.chain.config

    @property
    def observer(self) -> Observer | None:
        return self.chain.observer

    @observer.setter
    def observer(self, value: Observer | None) -> None:
        self.chain.observer = value

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self.scheduler.on_start = self._job_started
        self.scheduler.start()
        self.apply(self.config)
        interval = self.options.reload_interval
        self.scheduler.ensure(RELOAD_JOB, interval, self._reload, first_run=self.clock() + interval)
        self._started = True
        note(logging.INFO, f"daemon started: {len(self._jobs)} jobs", jobs=len(self._jobs))

    def ready(self) -> bool:
        """Started, not stopping, and (replicas) the state database answers."""
        shared = self.scheduler if isinstance(self.scheduler, SharedScheduler) else None
        healthy = shared is None or (shared.healthy and shared.reachable)
        return self._started and not self.chain.stopping and healthy

    @contextmanager
    def _git_lock(self, auto: ImageUpdateAutomation) -> Iterator[bool]:
        """The lease on the automation's git URL and branch (replicas only)."""
        name = git_lock_name(self.chain.config, auto)
        if name is None or not isinstance(self.scheduler, SharedScheduler):
            yield True
            return
        with self.scheduler.locked(name) as held:
            yield held

    async def stop(self) -> None:
        """Stop scheduling; abandon scans in flight; let a running git push finish."""
        busy = sorted(j for j in self._jobs if self.scheduler.is_running(j))
        note(logging.INFO, "stopping", running=busy)
        await self.chain.stop()
        # Each scan or policy result is written in one transaction, so abandoning them is
        # safe; a running automation finishes its push, which is atomic.
        await self.scheduler.shutdown(wait=True)
        await asyncio.get_running_loop().run_in_executor(None, self.chain.close)
        note(logging.INFO, "stopped")

    def request_scan(self, keys: set[str]) -> None:
        """Scan these ImageRepositories now (thread-safe; the webhook receiver calls it)."""
        # Replicas: through the database, to whichever replica (or shard) runs the scan.
        shared = isinstance(self.scheduler, SharedScheduler)
        for key in sorted(keys):
            if job_id(JobKind.SCAN, key) in self._jobs or shared:
                note(logging.INFO, f"scan {key} requested", object=key)
                self.scheduler.trigger_now(job_id(JobKind.SCAN, key))

    def _job_started(self, lag: float) -> None:
        if self.observer is not None:
            self.observer.job_started(lag)

    # -- config ---------------------------------------------------------------------------

    def apply(self, config: Config) -> None:
        """Make the scheduled jobs match `config`: add, remove, reschedule, re-run changed."""
        now = self.clock()
        desired = {
            job: spec
            for job, spec in desired_jobs(config).items()
            if shard_of(config, spec) == self.options.shard
        }
        changes = diff_jobs(self._jobs, desired)
        self.chain.use(config)
        for removed in changes.removed:
            self.scheduler.remove(removed)
            self.chain.failures.pop(removed, None)
            self._unspread.discard(removed)
            note(logging.INFO, f"unscheduled {removed}", job=removed)
            spec = self._jobs[removed]
            gone = ObjectKey.parse(spec.key) not in config.image_repositories
            if spec.kind is JobKind.SCAN and gone and self.observer is not None:
                self.observer.forget_repository(spec.key)  # no stale tag gauge
        for spec in changes.added:
            last, failed = self._last_run(spec)
            when = first_run(now, spec.key, spec.interval, last, failed, self.options.jitter)
            if is_due_now(now, last, spec.interval, failed):
                self._unspread.add(spec.job_id)
            self.scheduler.ensure(spec.job_id, spec.interval, self._func(spec), first_run=when)
            if self._started:
                note(
                    logging.INFO, f"scheduled {spec.job_id} every {spec.interval}", job=spec.job_id
                )
        for spec in changes.changed:
            self.scheduler.ensure(spec.job_id, spec.interval, self._func(spec), first_run=now)
            self.scheduler.trigger_now(spec.job_id)
            note(logging.INFO, f"{spec.job_id} changed: running it now", job=spec.job_id)
        self._jobs = desired
        # Policies without a job of their own: evaluate the new and edited ones now.
        prints = {str(k): spec_hash(p.spec) for k, p in config.image_policies.items()}
        edited = {k for k, h in prints.items() if self._policy_prints.get(k) != h}
        self._policy_prints = prints
        if edited:
            task = asyncio.get_running_loop().create_task(self.chain.evaluate(edited))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _func(self, spec: JobSpec) -> JobFunc:
        work = {
            JobKind.SCAN: self.chain.scan,
            JobKind.POLICY: self.chain.policy,
            JobKind.AUTOMATION: self.chain.automate,
        }[spec.kind]

        async def job() -> timedelta | None:
            delay = await work(spec.key)
            if delay is None and spec.job_id in self._unspread:
                self._unspread.discard(spec.job_id)
                return spread(spec.key, spec.interval)
            return delay

        return job

    def _last_run(self, spec: JobSpec) -> tuple[datetime | None, bool]:
        """When the state store says this object last ran, and whether that run failed."""
        if spec.kind is JobKind.SCAN:
            scan = self.store.get_scan(spec.key)
            repo = self.config.image_repositories[ObjectKey.parse(spec.key)]
            if scan is None or scan.spec_hash != repository_hash(repo):
                return None, False
            return scan.scan_time, bool(scan.last_error)
        if spec.kind is JobKind.POLICY:
            policy = self.store.get_policy(spec.key)
            return (policy.evaluated_time, bool(policy.last_error)) if policy else (None, False)
        auto = self.store.get_automation(spec.key)
        return (auto.last_run_time, bool(auto.last_error)) if auto else (None, False)

    async def _reload(self) -> timedelta | None:
        self._report_lag()
        loop = asyncio.get_running_loop()
        config = await loop.run_in_executor(None, self.reloader.reload)
        if config is not None and not self.chain.stopping:
            for problem in crosscheck(config):
                note(logging.WARNING, f"config: {problem}", file=problem.file, line=problem.line)
            self.apply(config)
        return None

    def _report_lag(self) -> None:
        """One line per reload cycle: how late jobs started against their fire times."""
        lags = self.scheduler.lag.drain()
        if lags:
            p50, p99 = lags[len(lags) // 2], lags[min(len(lags) - 1, int(len(lags) * 0.99))]
            note(
                logging.INFO,
                f"{len(lags)} job starts, lag p50 {p50:.3f}s p99 {p99:.3f}s max {lags[-1]:.3f}s",
                jobs=len(lags),
                lag_p50=round(p50, 4),
                lag_p99=round(p99, 4),
                lag_max=round(lags[-1], 4),
            )
