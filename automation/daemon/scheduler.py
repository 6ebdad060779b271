"""Interval jobs on APScheduler 3 (the only importer of apscheduler), one run per job at a time.

In: job ids, intervals, first-run times and coroutine functions. Out: the functions called on
time in the running asyncio loop. A job function returns `None` (next run one interval after
this one) or a `timedelta` (next run that long from now: backoff after a failure).

The job store is APScheduler's in-memory one, never shared between processes (APScheduler 3's
FAQ: a persistent job store shared by several processes runs jobs twice); the caller derives
the schedule from its config and state store at start-up. Missed runs coalesce into one and a
late run still runs (`misfire_grace_time=None`). On top of `max_instances=1`, each job has a slot:
a `trigger_now` while the job runs marks it "run again when done" instead of being lost or
running it twice at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from automation.errors import AutomationError

log = logging.getLogger(__name__)

JobFunc = Callable[[], Awaitable[timedelta | None]]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Slot:
    func: JobFunc
    interval: timedelta
    running: bool = False
    again: bool = False
    scheduled: datetime | None = None  # the fire time APScheduler last submitted


@dataclass
class LagStats:
    """How late jobs started against their scheduled fire time, in seconds."""

    samples: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.samples.append(max(0.0, seconds))
        if len(self.samples) > 100_000:
            del self.samples[: len(self.samples) // 2]

    def drain(self) -> list[float]:
        """The samples since the last drain, sorted; the list starts empty again."""
        samples, self.samples = sorted(self.samples), []
        return samples


class Scheduler:
    """Start inside a running loop; every other method may be called from any thread."""

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._clock = clock
        self._slots: dict[str, _Slot] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self.lag = LagStats()
        self.on_start: Callable[[float], None] | None = None  # called with each job's lag
        self._aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._aps.add_listener(self._submitted, EVENT_JOB_SUBMITTED)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._aps.start()

    # -- jobs ---------------------------------------------------------------------------

    def ensure(
        self, job_id: str, interval: timedelta, func: JobFunc, *, first_run: datetime
    ) -> None:
        """Add the job, or update its function and (when it changed) its interval."""
        self._in_loop(self._ensure, job_id, interval, func, first_run)

    def _ensure(self, job_id: str, interval: timedelta, func: JobFunc, first: datetime) -> None:
        slot = self._slots.get(job_id)
        if slot is not None:
            slot.func = func
            if slot.interval == interval:
                return
            slot.interval = interval
            self._aps.reschedule_job(job_id, trigger=self._trigger(interval, first))
            return
        self._slots[job_id] = _Slot(func, interval)
        self._aps.add_job(
            self._fire,
            trigger=self._trigger(interval, first),
            args=(job_id,),
            id=job_id,
            name=job_id,
            next_run_time=first,
            replace_existing=True,
        )

    @staticmethod
    def _trigger(interval: timedelta, first: datetime) -> IntervalTrigger:
        seconds = max(interval.total_seconds(), 1.0)
        return IntervalTrigger(seconds=seconds, start_date=first, timezone=UTC)

    def trigger_now(self, job_id: str) -> None:
        """Run the job as soon as possible; if it is running, once more when it is done."""
        self._in_loop(self._trigger_now, job_id)

    def _trigger_now(self, job_id: str) -> None:
        slot = self._slots.get(job_id)
        if slot is None or self._stopping:
            return
        if slot.running:
            slot.again = True
            return
        self._move(job_id, self._clock())

    def remove(self, job_id: str) -> None:
        self._in_loop(self._remove, job_id)

    def _remove(self, job_id: str) -> None:
        if self._slots.pop(job_id, None) is not None:
            with contextlib.suppress(JobLookupError):
                self._aps.remove_job(job_id)

    def job_ids(self) -> set[str]:
        return set(self._slots)

    def next_run(self, job_id: str) -> datetime | None:
        job = self._aps.get_job(job_id)
        return job.next_run_time if job is not None else None

    def is_running(self, job_id: str) -> bool:
        slot = self._slots.get(job_id)
        return slot is not None and slot.running

    async def shutdown(self, *, wait: bool = True) -> None:
        """Stop firing jobs; with `wait`, let the running ones finish, else cancel them."""
        self._stopping = True
        if self._aps.running:
            self._aps.pause()  # no new fire times; the executor would cancel running tasks
        tasks = [t for t in self._tasks if not t.done()]
        if not wait:
            for task in tasks:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._aps.running:
            self._aps.shutdown(wait=False)

    # -- running ------------------------------------------------------------------------

    def _in_loop(self, func: Callable[..., None], *args: object) -> None:
        loop = self._loop
        if loop is None or _in_thread_of(loop):
            func(*args)
        else:
            loop.call_soon_threadsafe(func, *args)

    def _submitted(self, event: JobSubmissionEvent) -> None:
        slot = self._slots.get(event.job_id)
        if slot is not None and event.scheduled_run_times:
            slot.scheduled = event.scheduled_run_times[-1]

    async def _fire(self, job_id: str) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        slot = self._slots.get(job_id)
        if slot is None or self._stopping:
            return
        if slot.running:  # fired by the interval while a triggered run goes on
            slot.again = True
            return
        if slot.scheduled is not None:
            lag = (self._clock() - slot.scheduled).total_seconds()
            self.lag.add(lag)
            if self.on_start is not None:
                self.on_start(lag)
            slot.scheduled = None
        delay = await self._run(job_id, slot)
        if delay is not None and self._slots.get(job_id) is slot and not self._stopping:
            self._move(job_id, self._clock() + delay)

    async def _run(self, job_id: str, slot: _Slot) -> timedelta | None:
        slot.running = True
        delay: timedelta | None = None
        try:
            while True:
                slot.again = False
                try:
                    delay = await slot.func()
                except AutomationError as err:  # e.g. the state store is locked: no traceback
                    log.error("job %s failed: %s", job_id, err)
                except Exception:  # a bug in one job must not stop the others
                    log.exception("job %s crashed", job_id)
                if not slot.again or self._stopping:
                    return delay
        finally:
            slot.running = False

    def _move(self, job_id: str, when: datetime) -> None:
        with contextlib.suppress(JobLookupError):
            self._aps.modify_job(job_id, next_run_time=when)


def _in_thread_of(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
