"""Retry delays, Retry-After parsing and the rate limiter, with time as a parameter."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest

from automation.registry.limits import RateLimiter, RetryPolicy, parse_retry_after

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Thu, 01 Jan 2026 12:00:30 GMT", 30.0),
        ("Thu, 01 Jan 2026 11:00:00 GMT", 0.0),  # in the past: retry now
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(attempts=10, base_delay=1.0, max_delay=8.0, rng=random.Random(1))
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delay = policy.delay(attempt)
        assert ceiling / 2 <= delay <= ceiling


def test_retry_after_wins_but_is_capped() -> None:
    policy = RetryPolicy(max_delay=60.0)
    assert policy.delay(1, retry_after=12.0) == 12.0
    assert policy.delay(1, retry_after=3600.0) == 60.0


def test_attempts_bound_the_retries() -> None:
    policy = RetryPolicy(attempts=3)
    assert [policy.should_retry(n) for n in (1, 2, 3)] == [True, True, False]


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_rate_limiter_allows_a_burst_then_paces() -> None:
    fake = FakeTime()
    limiter = RateLimiter(10.0, burst=5, clock=fake.clock, sleep=fake.sleep)

    async def run() -> None:
        for _ in range(15):
            await limiter.acquire()

    asyncio.run(run())
    assert fake.now == pytest.approx(1.0)  # 5 free, then 10 more at 10/s
    assert len(fake.slept) == 10


def test_rate_limiter_disabled_never_sleeps() -> None:
    fake = FakeTime()
    limiter = RateLimiter(None, clock=fake.clock, sleep=fake.sleep)

    async def run() -> None:
        for _ in range(1000):
            await limiter.acquire()

    asyncio.run(run())
    assert fake.slept == []
