"""Politeness towards one registry: a concurrency cap, a request-rate cap, and retries.

Pure decisions (`RetryPolicy.delay`, `parse_retry_after`) are separate from waiting, and
every wait goes through an injectable `sleep` and `clock` so tests never sleep for real.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter; `Retry-After` wins on 429/503 (up to `max_delay`)."""

    attempts: int = 4  # total tries, the first included
    base_delay: float = 0.5
    max_delay: float = 30.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed try number `attempt` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return self.rng.uniform(ceiling / 2, ceiling)

    def should_retry(self, attempt: int) -> bool:
        return attempt < self.attempts


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; None when absent or garbage."""
    if not value or len(value) > 64:  # an HTTP date is 29 characters
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RateLimiter:
    """Token bucket: at most `rate` requests per second on average, bursts up to `burst`."""

    def __init__(
        self,
        rate: float | None,
        burst: int | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.burst = float(burst if burst is not None else max(1, int(rate or 1)))
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if not self.rate:
            return
        async with self._lock:  # serialise waiters so they leave in order
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1  # take it now; a negative balance is paid for by waiting
            if self._tokens < 0:
                await self._sleep(-self._tokens / self.rate)
