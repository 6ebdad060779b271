"""The work behind the jobs: `steps.cycle`'s links (scan -> evaluate -> mirror -> automate),
with failure counting and backoff.

In: the current config (swapped on reload), the state store, the scheduler (to trigger the
next link). Out: each job's result as the scheduler wants it, `None` (next run after the
interval) or a backoff delay, and one log line per decision.

A scan job's repository is scanned in a batch with the others due at the same moment, then
that repository's policies are evaluated and mirrored (also batched); each policy whose
latestRef changed triggers the automations that select it. Automations run in a small thread
pool: their network work is `git` subprocesses (automation/git), so the worker thread mostly
waits on a child and pygit2's callbacks (slow while other Python threads are busy) are not on
that path; the short local pygit2 and YAML work shares the GIL with an idle event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from automation.config import Config, ImageUpdateAutomation, ObjectKey
from automation.daemon.batch import Batcher
from automation.daemon.plan import (
    JobKind,
    automations_by_policy,
    backoff,
    job_id,
    policies_by_repository,
)
from automation.daemon.scheduler import Scheduler
from automation.errors import AutomationError
from automation.notify.event import Event
from automation.notify.notifier import Notifier
from automation.state import StateStore
from automation.steps.cycle import (
    AutomationOutcome,
    refresh_policies,
    run_automation,
    scan_repositories,
)
from automation.steps.evaluate import PolicyOutcome
from automation.steps.events import (
    automation_event,
    failure_event,
    policy_event,
    recovered_event,
    stalled_is_news,
)
from automation.steps.mirror import MirrorOutcome
from automation.steps.scan import RepositoryOutcome

log = logging.getLogger("automation.daemon")

# Scans that fire within this long share one registry pass: each pass builds its clients
# (TLS context, /v2/ probe: ~20 ms of CPU), so many one-repository passes cost more CPU
# than the scans themselves. A webhook-triggered scan waits at most this long.
SCAN_WINDOW = 0.25
# An automation whose git branch another replica is pushing to tries again this soon.
BRANCH_BUSY_RETRY = timedelta(seconds=2)

GitLock = Callable[[ImageUpdateAutomation], AbstractContextManager[bool]]


class Triggers(Protocol):
    """What the chain asks of a scheduler: run a job now (in-process or shared)."""

    def trigger_now(self, job_id: str) -> None: ...


class Observer(Protocol):
    """What the daemon reports to metrics (automation/metrics.py implements it)."""

    def scan_finished(
        self, repository: str, seconds: float, tags: int | None, error: BaseException | None
    ) -> None: ...
    def forget_repository(self, repository: str) -> None: ...
    def policy_changed(self, policy: str) -> None: ...
    def pushed(self, automation: str) -> None: ...
    def failed(self, stage: str, error: BaseException | str) -> None: ...
    def job_started(self, delay_seconds: float) -> None: ...


def note(level: int, message: str, **fields: object) -> None:
    """One log line per decision; `fields` become JSON keys with --log-format json."""
    log.log(level, message, extra={"fields": fields})


class Chain:
    def __init__(
        self,
        config: Config,
        store: StateStore,
        scheduler: Scheduler | Triggers,
        cache: Path,
        clock: Callable[[], datetime],
        *,
        git_workers: int,
    ) -> None:
        self.store = store
        self.scheduler = scheduler
        self.cache = cache
        self.clock = clock
        self.observer: Observer | None = None
        self.notifier: Notifier | None = None  # Flux Alerts: events queued, never awaited
        self.failures: dict[str, int] = {}  # job id -> failures in a row
        self._stalled: dict[str, str] = {}  # job id -> the stalled error last reported
        self.stopping = False
        # With replicas: held while an automation runs, so no two push to one branch at once.
        self.git_lock: GitLock | None = None
        self._git = ThreadPoolExecutor(git_workers, thread_name_prefix="git")
        self._scans = Batcher(self._scan_batch, window=SCAN_WINDOW)
        self._evaluations = Batcher(self._evaluate_batch)
        self.use(config)

    def use(self, config: Config) -> None:
        """Work with `config` from now on (runs already going keep the one they started with)."""
        self.config = config
        if self.notifier is not None:
            self.notifier.use(config)
        self._autos_of = automations_by_policy(config)
        self._policies_of = policies_by_repository(config)

    async def stop(self) -> None:
        """Abandon registry work in flight; refuse new automations."""
        self.stopping = True
        await self._scans.cancel()
        await self._evaluations.cancel()

    def close(self) -> None:
        """Wait for the automation running in the pool (its push is atomic), then stop it."""
        self._git.shutdown(wait=True)

    # -- the links ------------------------------------------------------------------------

    async def scan(self, key: str) -> timedelta | None:
        outcome = await self._scans.submit(key)
        if not isinstance(outcome, RepositoryOutcome):
            return None
        policies = self._policies_of.get(key, ())
        if not outcome.error and policies:
            await self.evaluate(set(policies))
        return self._outcome(JobKind.SCAN, key, outcome.error, stalled=outcome.stalled)

    async def policy(self, key: str) -> timedelta | None:
        outcome = await self._evaluations.submit(key)
        if not isinstance(outcome, PolicyOutcome):
            return self._outcome(JobKind.POLICY, key, "")
        return self._outcome(JobKind.POLICY, key, outcome.error, stalled=outcome.stalled)

    async def evaluate(self, keys: set[str]) -> None:
        results = await asyncio.gather(
            *(self._evaluations.submit(k) for k in sorted(keys)), return_exceptions=True
        )
        crashed = next((r for r in results if isinstance(r, Exception)), None)
        if crashed is not None:  # a bug, not a policy error (those are in the outcomes)
            log.error("policy evaluation crashed", exc_info=crashed)

    async def automate(self, key: str) -> timedelta | None:
        auto = self.config.automations.get(ObjectKey.parse(key))
        if auto is None or self.stopping:
            return None
        loop = asyncio.get_running_loop()
        config, now = self.config, self.clock()
        outcome = await loop.run_in_executor(self._git, self._run_automation, config, auto, now)
        if outcome is None:
            note(logging.INFO, f"automation {key}: branch busy on another replica", object=key)
            return BRANCH_BUSY_RETRY
        if outcome.commit:
            if self.observer is not None:
                self.observer.pushed(key)
            note(
                logging.INFO,
                f"automation {key}: pushed {outcome.commit[:12]} to {outcome.branch}",
                object=key,
                commit=outcome.commit,
                branch=outcome.branch,
                changes=outcome.changes,
            )
        elif not outcome.error:
            note(logging.DEBUG, f"automation {key}: {outcome.skipped or 'no change'}", object=key)
        self._emit(automation_event(config, outcome, now))
        return self._outcome(JobKind.AUTOMATION, key, outcome.error, stalled=outcome.stalled)

    def _emit(self, event: Event | None) -> None:
        if event is not None and self.notifier is not None:
            self.notifier.emit(event)

    def _run_automation(
        self, config: Config, auto: ImageUpdateAutomation, now: datetime
    ) -> AutomationOutcome | None:
        """Run it (in a git worker thread); None when another replica holds its branch."""
        if self.git_lock is None:
            return run_automation(config, self.store, auto, self.cache, now)
        with self.git_lock(auto) as held:
            if not held:
                return None
            return run_automation(config, self.store, auto, self.cache, now)

    def _outcome(
        self, kind: JobKind, key: str, error: str, *, stalled: bool = False
    ) -> timedelta | None:
        """Count failures in a row; a failing object waits `backoff(n)` instead of its interval.
        A stalled one (a config error) is reported once per distinct error, not per attempt."""
        jid = job_id(kind, key)
        if not error:
            self._stalled.pop(jid, None)
            before = self.failures.pop(jid, 0)
            if before:
                self._emit(recovered_event(self.config, kind.value, key, before, self.clock()))
            return None
        failures = self.failures[jid] = self.failures.get(jid, 0) + 1
        if stalled_is_news(stalled, error, self._stalled.get(jid, "")):
            event = failure_event(
                self.config, kind.value, key, error, failures, self.clock(), stalled=stalled
            )
            self._emit(event)
        if stalled:
            self._stalled[jid] = error
        else:
            self._stalled.pop(jid, None)
        if self.observer is not None and kind is not JobKind.SCAN:  # scans counted per batch
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
        outcomes, mirrors = await refresh_policies(self.config, self.store, self.clock(), only=keys)
        self._log_mirrors(mirrors)
        for o in outcomes:
            if o.changed:
                self._policy_changed(o)
        return {o.key: o for o in outcomes}

    def _log_mirrors(self, mirrors: list[MirrorOutcome]) -> None:
        for m in mirrors:
            if m.error:
                note(logging.WARNING, f"mirror {m.key}: {m.error}", object=m.key)
            elif m.copied is not None:
                note(logging.INFO, f"mirror {m.key}: copied {m.mirror}", object=m.key)

    def _policy_changed(self, outcome: PolicyOutcome) -> None:
        autos = self._autos_of.get(outcome.key, ())
        note(
            logging.INFO,
            f"policy {outcome.key}: latest {outcome.latest} ({outcome.reason})",
            object=outcome.key,
            latest=str(outcome.latest),
            automations=list(autos),
        )
        if self.observer is not None:
            self.observer.policy_changed(outcome.key)
        self._emit(policy_event(self.config, outcome, self.clock()))
        for auto in autos:
            self.scheduler.trigger_now(job_id(JobKind.AUTOMATION, auto))
