"""Requests arriving together become one flush; failures reach every waiter."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from automation.daemon.batch import Batcher


def test_requests_in_one_window_share_one_flush() -> None:
    calls: list[set[str]] = []

    async def flush(keys: set[str]) -> Mapping[str, object]:
        calls.append(set(keys))
        return {k: k.upper() for k in keys if k != "missing"}

    async def main() -> list[object]:
        batcher = Batcher(flush, window=0.01)
        first = await asyncio.gather(*(batcher.submit(k) for k in ("a", "b", "a", "missing")))
        second = await batcher.submit("c")
        return [*first, second]

    assert asyncio.run(main()) == ["A", "B", "A", None, "C"]
    assert calls == [{"a", "b", "missing"}, {"c"}]


def test_a_failed_flush_fails_every_waiter_and_a_closed_batcher_refuses() -> None:
    async def flush(keys: set[str]) -> Mapping[str, object]:
        raise RuntimeError(f"registry down for {len(keys)}")

    async def main() -> None:
        batcher = Batcher(flush, window=0.01)
        results = await asyncio.gather(
            batcher.submit("a"), batcher.submit("b"), return_exceptions=True
        )
        assert [str(r) for r in results] == ["registry down for 2"] * 2
        await batcher.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batcher.submit("a")

    asyncio.run(main())
