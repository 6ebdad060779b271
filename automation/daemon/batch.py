"""Group requests that arrive within a short window into one call (one registry pass).

A thousand scan jobs that fire within the same fraction of a second become one
`scan_repositories(only=...)` call sharing connections, instead of a thousand clients.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

Flush = Callable[[set[str]], Awaitable[Mapping[str, object]]]

WINDOW = 0.05  # seconds a batch stays open for more requests


class Batcher:
    """`await submit(key)` resolves to `flush({...keys})[key]` (None when it is missing)."""

    def __init__(self, flush: Flush, *, window: float = WINDOW) -> None:
        self._flush = flush
        self._window = window
        self._pending: dict[str, list[asyncio.Future[object]]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._closed = False

    async def submit(self, key: str) -> object:
        if self._closed:
            raise asyncio.CancelledError("batcher closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[object] = loop.create_future()
        self._pending.setdefault(key, []).append(future)
        if self._timer is None:
            self._timer = loop.call_later(self._window, self._start)
        return await future

    def _start(self) -> None:
        self._timer = None
        batch, self._pending = self._pending, {}
        task = asyncio.get_running_loop().create_task(self._run(batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, batch: dict[str, list[asyncio.Future[object]]]) -> None:
        try:
            results = await self._flush(set(batch))
        except BaseException as err:  # hand the failure (or cancellation) to every waiter
            for futures in batch.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(err)
            if not isinstance(err, Exception):
                raise
            return
        for key, futures in batch.items():
            for future in futures:
                if not future.done():
                    future.set_result(results.get(key))

    async def cancel(self) -> None:
        """Drop the open batch, cancel the running ones and refuse new requests (shutdown)."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for futures in self._pending.values():
            for future in futures:
                future.cancel()
        self._pending = {}
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
