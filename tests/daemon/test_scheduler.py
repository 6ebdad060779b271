"""The scheduler on a real APScheduler: triggers, one run at a time, backoff moves, removal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from automation.daemon.scheduler import Scheduler
from automation.errors import StateError

LATER = timedelta(hours=1)


def _run(body: Callable[[Scheduler], Awaitable[None]]) -> None:
    async def main() -> None:
        scheduler = Scheduler()
        scheduler.start()
        try:
            await asyncio.wait_for(body(scheduler), 10)
        finally:
            await scheduler.shutdown(wait=False)

    asyncio.run(main())


def _far() -> datetime:
    return datetime.now(UTC) + LATER


def test_trigger_during_a_run_runs_once_more_and_never_concurrently() -> None:
    async def body(s: Scheduler) -> None:
        release, entered, done = asyncio.Event(), asyncio.Event(), asyncio.Event()
        runs, active, peak = [0], [0], [0]

        async def job() -> timedelta | None:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
            runs[0] += 1
            entered.set()
            if runs[0] == 1:
                await release.wait()
            active[0] -= 1
            if runs[0] == 2:
                done.set()
            return None

        s.ensure("scan:a/x", LATER, job, first_run=_far())
        s.trigger_now("scan:a/x")
        await entered.wait()
        assert s.is_running("scan:a/x")
        s.trigger_now("scan:a/x")
        s.trigger_now("scan:a/x")  # coalesces with the one before
        release.set()
        await done.wait()
        await asyncio.sleep(0.05)  # let a wrongly queued third run show itself
        assert (runs[0], peak[0]) == (2, 1)
        assert not s.is_running("scan:a/x")

    _run(body)


def test_a_returned_delay_moves_the_next_run() -> None:
    async def body(s: Scheduler) -> None:
        done = asyncio.Event()

        async def failing() -> timedelta | None:
            done.set()
            return timedelta(seconds=300)

        s.ensure("scan:a/x", LATER, failing, first_run=_far())
        before = datetime.now(UTC)
        s.trigger_now("scan:a/x")
        await done.wait()
        await asyncio.sleep(0.01)
        next_run = s.next_run("scan:a/x")
        assert next_run is not None
        assert (
            before + timedelta(seconds=299)
            <= next_run
            <= datetime.now(UTC) + timedelta(seconds=301)
        )

    _run(body)


def test_no_delay_keeps_the_interval_from_the_run() -> None:
    async def body(s: Scheduler) -> None:
        done = asyncio.Event()

        async def ok() -> timedelta | None:
            done.set()
            return None

        s.ensure("scan:a/x", timedelta(minutes=10), ok, first_run=_far())
        before = datetime.now(UTC)
        s.trigger_now("scan:a/x")
        await done.wait()
        next_run = s.next_run("scan:a/x")
        assert next_run is not None
        assert abs((next_run - before) - timedelta(minutes=10)) < timedelta(seconds=2)

    _run(body)


def test_ensure_updates_interval_and_function_and_remove_stops_the_job() -> None:
    async def body(s: Scheduler) -> None:
        calls: list[str] = []
        done = asyncio.Event()

        def make(name: str) -> Callable[[], Awaitable[timedelta | None]]:
            async def job() -> timedelta | None:
                calls.append(name)
                done.set()
                return None

            return job

        first = _far()
        s.ensure("policy:a/p", LATER, make("old"), first_run=first)
        s.ensure("policy:a/p", LATER, make("new"), first_run=_far() + LATER)
        assert s.next_run("policy:a/p") == first  # same interval: schedule kept
        s.ensure("policy:a/p", timedelta(minutes=2), make("new"), first_run=first + LATER)
        assert s.next_run("policy:a/p") == first + LATER  # new interval: rescheduled
        s.trigger_now("policy:a/p")
        await done.wait()
        assert calls == ["new"]
        s.remove("policy:a/p")
        s.trigger_now("policy:a/p")
        assert s.job_ids() == set() and s.next_run("policy:a/p") is None

    _run(body)


def test_a_crashing_job_is_logged_and_runs_again_later(caplog: pytest.LogCaptureFixture) -> None:
    async def body(s: Scheduler) -> None:
        runs = [0]
        second = asyncio.Event()

        async def crash() -> timedelta | None:
            runs[0] += 1
            if runs[0] == 2:
                second.set()
            raise RuntimeError("boom")

        s.ensure("scan:a/x", LATER, crash, first_run=_far())
        s.trigger_now("scan:a/x")
        while runs[0] < 1 or s.is_running("scan:a/x"):
            await asyncio.sleep(0.01)
        s.trigger_now("scan:a/x")
        await second.wait()

    _run(body)
    assert "job scan:a/x crashed" in caplog.text


def test_a_job_failing_with_our_own_error_is_logged_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def body(s: Scheduler) -> None:
        done = asyncio.Event()

        async def locked() -> timedelta | None:
            done.set()
            raise StateError("state store s.db: write failed: database is locked")

        s.ensure("scan:a/x", LATER, locked, first_run=_far())
        s.trigger_now("scan:a/x")
        await done.wait()
        while s.is_running("scan:a/x"):
            await asyncio.sleep(0.01)

    _run(body)
    (record,) = [r for r in caplog.records if "scan:a/x" in r.getMessage()]
    assert "database is locked" in record.getMessage() and record.exc_info is None


def test_start_lag_is_measured_against_the_fire_time() -> None:
    async def body(s: Scheduler) -> None:
        done = asyncio.Event()
        seen: list[float] = []
        s.on_start = seen.append

        async def job() -> timedelta | None:
            done.set()
            return None

        s.ensure("scan:a/x", LATER, job, first_run=datetime.now(UTC))
        await done.wait()
        assert len(seen) == 1 and 0 <= seen[0] < 1 and s.lag.samples == seen

    _run(body)


@pytest.mark.parametrize("wait", [True, False])
def test_shutdown_waits_for_or_cancels_the_running_job(wait: bool) -> None:
    outcome: list[str] = []

    async def main() -> None:
        s = Scheduler()
        s.start()
        entered = asyncio.Event()

        async def job() -> timedelta | None:
            entered.set()
            try:
                await asyncio.sleep(0.2)
                outcome.append("finished")
            except asyncio.CancelledError:
                outcome.append("cancelled")
                raise
            return None

        s.ensure("automation:a/f", LATER, job, first_run=_far())
        s.trigger_now("automation:a/f")
        await asyncio.wait_for(entered.wait(), 5)
        await asyncio.wait_for(s.shutdown(wait=wait), 5)
        s.trigger_now("automation:a/f")  # ignored once stopping

    asyncio.run(main())
    assert outcome == (["finished"] if wait else ["cancelled"])
