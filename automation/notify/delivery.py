"""Deliver notifications off the cycle's thread: bounded queue, retries, dedupe, failures.

In: ``Delivery`` values from ``payloads.build``. Out: HTTP POSTs from a few worker threads;
for each delivery that finally fails, one log line (provider key, type, reason: never the
URL, which is a secret) and a call of ``on_failure(provider_type)`` (the daemon counts it
in a metric).

``submit`` never blocks: a full queue drops the delivery and counts it as failed. The same
event to the same provider within ``dedupe_window`` is sent once (Flux rate-limits repeats
the same way). A failed POST (connection error, timeout, 429 or 5xx) is retried after
``backoff * 2**n`` seconds up to ``attempts`` times; other statuses fail at once. Time and
sleep are parameters, so tests do not wait.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from automation.notify.payloads import Delivery

log = logging.getLogger(__name__)

QUEUE_SIZE = 256
WORKERS = 4  # a hanging receiver holds one worker (up to its timeout), not every delivery
ATTEMPTS = 4
BACKOFF = 1.0
DEDUPE_WINDOW = 300.0
TIMEOUT = 10.0


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


Send = Callable[[Delivery], None]


def http_sender(timeout: float = TIMEOUT) -> Send:
    """POST with httpx; statuses other than 2xx become ``DeliveryFailed``."""
    clients: list[httpx.Client] = []  # made on first use: no TLS set-up when nothing is sent
    lock = threading.Lock()

    def client() -> httpx.Client:
        with lock:
            if not clients:
                clients.append(httpx.Client(timeout=timeout, follow_redirects=False))
            return clients[0]

    def send(delivery: Delivery) -> None:
        try:
            response = client().post(
                delivery.url,
                content=delivery.body,
                headers=dict(delivery.headers),
                timeout=delivery.timeout or timeout,
            )
        except httpx.HTTPError as err:
            raise DeliveryFailed(type(err).__name__, retryable=True) from None
        status = response.status_code
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status}", retryable=status == 429 or status >= 500)

    return send


@dataclass
class Stats:
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    deduped: int = 0


class Dispatcher:
    def __init__(
        self,
        send: Send,
        *,
        on_failure: Callable[[str], None] = lambda _type: None,
        size: int = QUEUE_SIZE,
        workers: int = WORKERS,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF,
        dedupe_window: float = DEDUPE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._send = send
        self._on_failure = on_failure
        self._queue: queue.Queue[Delivery | None] = queue.Queue(maxsize=size)
        self._attempts, self._backoff = attempts, backoff
        self._window, self._clock, self._sleep = dedupe_window, clock, sleep
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self.stats = Stats()
        self._workers = workers
        self._threads: list[threading.Thread] = []

    def start(self) -> Dispatcher:
        for n in range(self._workers):
            thread = threading.Thread(target=self._run, name=f"notify-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (within about ``timeout``), then stop the workers."""
        deadline = time.monotonic() + timeout
        for _ in self._threads:
            with contextlib.suppress(queue.Full):
                self._queue.put(None, timeout=max(deadline - time.monotonic(), 0.01))
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.01))
        self._threads = []

    def _fresh(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            for old in [k for k, t in self._seen.items() if now - t >= self._window]:
                del self._seen[old]
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def submit(self, delivery: Delivery) -> bool:
        """Queue a delivery; False when it was a repeat or the queue was full. Never blocks."""
        if not self._fresh(delivery.dedupe_key):
            self.stats.deduped += 1
            return False
        try:
            self._queue.put_nowait(delivery)
        except queue.Full:
            self.stats.dropped += 1
            self._failed(delivery, "the notification queue is full")
            return False
        return True

    def _failed(self, delivery: Delivery, reason: str) -> None:
        log.warning(
            "notification to Provider %s (%s) failed: %s",
            delivery.provider,
            delivery.provider_type,
            reason,
        )
        self._on_failure(delivery.provider_type)

    def deliver(self, delivery: Delivery) -> bool:
        """Send with retries in the calling thread; True when it arrived."""
        for attempt in range(1, self._attempts + 1):
            try:
                self._send(delivery)
            except DeliveryFailed as err:
                if err.retryable and attempt < self._attempts:
                    self._sleep(self._backoff * 2 ** (attempt - 1))
                    continue
                with self._lock:
                    self.stats.failed += 1
                self._failed(delivery, f"{err} after {attempt} attempt(s)")
                return False
            with self._lock:
                self.stats.sent += 1
            return True
        return False

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            try:
                self.deliver(delivery)
            except Exception:  # a bug in a sender must not kill the worker
                log.exception("notification to Provider %s: unexpected error", delivery.provider)
