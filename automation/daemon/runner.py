"""The daemon: config -> scheduled jobs -> scan -> evaluate -> automate, until told to stop.

In: the policy sources, a state store, a cache directory. Out: scans, policy refs and pushes
on schedule, one log line per decision. The chain: a scan job scans its repository (batched
with others due at the same moment) and evaluates that repository's policies; every policy
whose latestRef changed triggers the automations that select it. `Always` policies and
automations also run on their own intervals. A reload job re-reads the sources; a broken
config keeps the last good one in force.

Threads: the event loop runs the scheduler, registry scans and policy evaluation. Automations
run in a small thread pool: their network work is `git` subprocesses (automation/git), so the
worker thread mostly waits on a child and the libgit2-callback slowdown next to busy Python
threads (libraries.md section 3, pitfall 2) does not apply. Config loading runs in its own
thread so a slow fetch or parse does not delay scans.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from automation.config import Config, ObjectKey
from automation.config.crosscheck import crosscheck
from automation.daemon.batch import Batcher
from automation.daemon.plan import (
    JITTER_CAP,
    JobKind,
    JobSpec,
    automations_by_policy,
    backoff,
    desired_jobs,
    diff_jobs,
    first_run,
    job_id,
    policies_by_repository,
)
from automation.daemon.reload import ConfigReloader
from automation.errors import AutomationError
from automation.policysource import LoadedConfig, PolicySource
from automation.scheduler import JobFunc, Scheduler, utc_now
from automation.state import StateStore
from automation.steps.automate import AutomationOutcome, run_automation
from automation.steps.due import spec_hash
from automation.steps.evaluate import PolicyOutcome, evaluate_policies
from automation.steps.scan import (
    DigestResolver,
    RepositoryOutcome,
    repository_hash,
    scan_repositories,
)

log = logging.getLogger("automation.daemon")

RELOAD_JOB = "reload:config"


class Observer(Protocol):
    """What the daemon reports to metrics (automation/metrics.py implements it)."""

    def scan_finished(
        self, repository: str, seconds: float, tags: int | None, error: BaseException | None
    ) -> None: ...
    def policy_changed(self, policy: str) -> None: ...
    def pushed(self, automation: str) -> None: ...
    def failed(self, stage: str, error: BaseException | str) -> None: ...
    def job_started(self, delay_seconds: float) -> None: ...


@dataclass(frozen=True)
class DaemonOptions:
    sources: tuple[PolicySource, ...]
    secrets: tuple[Path, ...]
    cache: Path  # clones of automation targets; policy sources under cache/"policies"
    reload_interval: timedelta = timedelta(minutes=1)
    git_workers: int = 2
    jitter: timedelta = JITTER_CAP  # first runs spread over at most this long


def _key(text: str) -> ObjectKey:
    namespace, _, name = text.partition("/")
    return ObjectKey(namespace, name)


def note(level: int, message: str, **fields: object) -> None:
    """One log line per decision; `fields` become JSON keys with --log-format json."""
    log.log(level, message, extra={"fields": fields})


class Daemon:
    def __init__(
        self,
        loaded: LoadedConfig,
        store: StateStore,
        options: DaemonOptions,
        *,
        observer: Observer | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.options = options
        self.observer = observer
        self.clock = clock
        self.scheduler = Scheduler(clock=clock)
        self.config = loaded.config
        self.reloader = ConfigReloader(options.sources, options.secrets, options.cache, loaded)
        self._jobs: dict[str, JobSpec] = {}
        self._policy_prints: dict[str, str] = {}
        self._failures: dict[str, int] = {}
        self._autos_of: dict[str, tuple[str, ...]] = {}
        self._policies_of: dict[str, tuple[str, ...]] = {}
        self._git = ThreadPoolExecutor(options.git_workers, thread_name_prefix="git")
        self._scans = Batcher(self._scan_batch)
        self._evaluations = Batcher(self._evaluate_batch)
        self._started = False
        self._stopping = False

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        self.scheduler.on_start = self._job_started
        self.scheduler.start()
        self.apply(self.config)
        interval = self.options.reload_interval
        self.scheduler.ensure(RELOAD_JOB, interval, self._reload, first_run=self.clock() + interval)
        self._started = True
        note(logging.INFO, f"daemon started: {len(self._jobs)} jobs", jobs=len(self._jobs))

    def _job_started(self, lag: float) -> None:
        if self.observer is not None:
            self.observer.job_started(lag)

    def ready(self) -> bool:
        return self._started and not self._stopping

    async def stop(self) -> None:
        """Stop scheduling; cancel scans in flight; let a running git push finish."""
        self._stopping = True
        busy = sorted(j for j in self._jobs if self.scheduler.is_running(j))
        note(logging.INFO, "stopping", running=busy)
        await self._scans.cancel()
        await self._evaluations.cancel()
        # Registry work is abandoned (each result is written in one transaction); a running
        # automation finishes its push, which is atomic, so the remote never holds half of it.
        await self.scheduler.shutdown(wait=True)
        await asyncio.get_running_loop().run_in_executor(None, self._git.shutdown, True)
        note(logging.INFO, "stopped")

    def request_scan(self, keys: set[str]) -> None:
        """Scan these ImageRepositories now (thread-safe; the webhook receiver calls it)."""
        for key in sorted(keys):
            if job_id(JobKind.SCAN, key) in self._jobs:
                note(logging.INFO, f"scan {key} requested", object=key)
                self.scheduler.trigger_now(job_id(JobKind.SCAN, key))

    # -- config ---------------------------------------------------------------------------

    def apply(self, config: Config) -> None:
        """Make the scheduled jobs match `config`: add, remove, reschedule, re-run changed."""
        now = self.clock()
        desired = desired_jobs(config)
        changes = diff_jobs(self._jobs, desired)
        first = not self._jobs and not self._started
        self.config = config
        self._autos_of = automations_by_policy(config)
        self._policies_of = policies_by_repository(config)
        for removed in changes.removed:
            self.scheduler.remove(removed)
            self._failures.pop(removed, None)
            note(logging.INFO, f"unscheduled {removed}", job=removed)
        for spec in changes.added:
            when = self._first_run(spec, now)
            self.scheduler.ensure(spec.job_id, spec.interval, self._func(spec), first_run=when)
            if not first:
                note(
                    logging.INFO, f"scheduled {spec.job_id} every {spec.interval}", job=spec.job_id
                )
        for spec in changes.changed:
            self.scheduler.ensure(spec.job_id, spec.interval, self._func(spec), first_run=now)
            self.scheduler.trigger_now(spec.job_id)
            note(logging.INFO, f"{spec.job_id} changed: running it now", job=spec.job_id)
        self._jobs = desired
        prints = {str(k): spec_hash(p.spec) for k, p in config.image_policies.items()}
        changed = {k for k, h in prints.items() if self._policy_prints.get(k) != h}
        self._policy_prints = prints
        if changed:
            asyncio.get_running_loop().create_task(self._evaluate_keys(changed))

    def _first_run(self, spec: JobSpec, now: datetime) -> datetime:
        last, failed = self._last_run(spec)
        return first_run(now, spec.key, spec.interval, last, failed, self.options.jitter)

    def _last_run(self, spec: JobSpec) -> tuple[datetime | None, bool]:
        """When the state store says this object last ran, and whether that run failed."""
        if spec.kind is JobKind.SCAN:
            scan = self.store.get_scan(spec.key)
            repo = self.config.image_repositories[_key(spec.key)]
            if scan is None or scan.spec_hash != repository_hash(repo):
                return None, False
            return scan.scan_time, bool(scan.last_error)
        if spec.kind is JobKind.POLICY:
            policy = self.store.get_policy(spec.key)
            return (policy.evaluated_time, bool(policy.last_error)) if policy else (None, False)
        auto = self.store.get_automation(spec.key)
        return (auto.last_run_time, bool(auto.last_error)) if auto else (None, False)

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

    async def _reload(self) -> timedelta | None:
        self._report_lag()
        loop = asyncio.get_running_loop()
        config = await loop.run_in_executor(None, self.reloader.reload)
        if config is not None and not self._stopping:
            for problem in crosscheck(config):
                note(logging.WARNING, f"config: {problem}", file=problem.file, line=problem.line)
            self.apply(config)
        return None

    # -- jobs -----------------------------------------------------------------------------

    def _func(self, spec: JobSpec) -> JobFunc:
        runs = {
            JobKind.SCAN: self._scan,
            JobKind.POLICY: self._policy,
            JobKind.AUTOMATION: self._automate,
        }[spec.kind]

        async def job() -> timedelta | None:
            return await runs(spec.key)

        return job

    def _outcome(self, kind: JobKind, key: str, error: str) -> timedelta | None:
        """Count failures in a row; a failing object waits `backoff(n)` instead of its interval."""
        jid = job_id(kind, key)
        if not error:
            self._failures.pop(jid, None)
            return None
        failures = self._failures[jid] = self._failures.get(jid, 0) + 1
        if self.observer is not None:
            self.observer.failed(kind.value, "error")
        delay = backoff(failures)
        note(
            logging.WARNING,
            f"{jid} failed ({failures} in a row), retry in {delay}: {error}",
            job=jid,
            failures=failures,
            retry_seconds=delay.total_seconds(),
        )
        return delay

    async def _scan(self, key: str) -> timedelta | None:
        outcome = await self._scans.submit(key)
        if not isinstance(outcome, RepositoryOutcome):
            return None
        policies = self._policies_of.get(key, ())
        if not outcome.error and policies:
            await self._evaluate_keys(set(policies))
        return self._outcome(JobKind.SCAN, key, outcome.error)

    async def _policy(self, key: str) -> timedelta | None:
        outcome = await self._evaluations.submit(key)
        error = outcome.error if isinstance(outcome, PolicyOutcome) else ""
        return self._outcome(JobKind.POLICY, key, error)

    async def _evaluate_keys(self, keys: set[str]) -> None:
        await asyncio.gather(*(self._evaluations.submit(k) for k in sorted(keys)))

    async def _automate(self, key: str) -> timedelta | None:
        auto = self.config.automations.get(_key(key))
        if auto is None or self._stopping:
            return None
        loop = asyncio.get_running_loop()
        config, cache, now = self.config, self.options.cache, self.clock()
        outcome: AutomationOutcome = await loop.run_in_executor(
            self._git, run_automation, config, self.store, auto, cache, now
        )
        if outcome.commit and self.observer is not None:
            self.observer.pushed(key)
        if outcome.commit:
            note(
                logging.INFO,
                f"automation {key}: pushed {outcome.commit[:12]} to {outcome.branch}",
                object=key,
                commit=outcome.commit,
                branch=outcome.branch,
                changes=outcome.changes,
            )
        elif outcome.skipped or not outcome.error:
            note(logging.DEBUG, f"automation {key}: {outcome.skipped or 'no change'}", object=key)
        return self._outcome(JobKind.AUTOMATION, key, outcome.error)

    # -- batches --------------------------------------------------------------------------

    async def _scan_batch(self, keys: set[str]) -> Mapping[str, object]:
        started = time.monotonic()
        outcomes = await scan_repositories(self.config, self.store, self.clock(), only=keys)
        seconds = time.monotonic() - started
        for o in outcomes:
            if self.observer is not None and not o.skipped:
                error = AutomationError(o.error) if o.error else None
                self.observer.scan_finished(o.key, seconds, o.tag_count, error)
            if o.changed:
                note(logging.INFO, f"scan {o.key}: new tags ({o.tag_count})", object=o.key)
        return {o.key: o for o in outcomes}

    async def _evaluate_batch(self, keys: set[str]) -> Mapping[str, object]:
        resolver = DigestResolver(self.config)
        try:
            outcomes = await evaluate_policies(
                self.config, self.store, resolver, self.clock(), only=keys
            )
        finally:
            await resolver.aclose()
        for o in outcomes:
            if o.changed:
                autos = self._autos_of.get(o.key, ())
                note(
                    logging.INFO,
                    f"policy {o.key}: latest {o.latest} ({o.reason})",
                    object=o.key,
                    latest=str(o.latest),
                    automations=list(autos),
                )
                if self.observer is not None:
                    self.observer.policy_changed(o.key)
                for auto in autos:
                    self.scheduler.trigger_now(job_id(JobKind.AUTOMATION, auto))
        return {o.key: o for o in outcomes}
