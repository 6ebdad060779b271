"""Delivery to real local HTTP receivers: retries with backoff, no retry on a client error,
dedupe, a full queue, and a dead or hanging receiver that never slows the caller."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import pytest

from automation.notify.delivery import Dispatcher, http_sender
from automation.notify.event import Event
from automation.notify.payloads import Delivery, build
from tests.rig.ports import LOCALHOST, free_port
from tests.rig.receivers import serve_receiver

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def delivery(url: str, message: str = "pushed") -> Delivery:
    event = Event("ImageUpdateAutomation", "apps", "fleet", "info", "Succeeded", message, NOW)
    return build("apps/hook", "generic", event, address=url, secret={})


def test_a_5xx_is_retried_with_backoff_until_it_arrives() -> None:
    sleeps: list[float] = []
    with serve_receiver([500, 503]) as receiver:
        dispatcher = Dispatcher(http_sender(), backoff=0.5, sleep=sleeps.append)
        assert dispatcher.deliver(delivery(receiver.url))
        assert len(receiver.received) == 3 and sleeps == [0.5, 1.0]
        assert receiver.received[-1].json["involvedObject"]["name"] == "fleet"


def test_a_4xx_fails_at_once_with_one_log_line_and_a_count_never_the_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failed: list[str] = []
    with serve_receiver([404]) as receiver:
        dispatcher = Dispatcher(http_sender(), on_failure=failed.append, sleep=lambda _: None)
        with caplog.at_level(logging.WARNING):
            assert not dispatcher.deliver(delivery(receiver.url))
    assert len(receiver.received) == 1 and failed == ["generic"]
    [line] = [r.getMessage() for r in caplog.records]
    assert "Provider apps/hook (generic) failed: HTTP 404 after 1 attempt(s)" in line
    assert "/hooks/" not in line and "XXXX" not in line


def test_repeats_within_the_window_are_sent_once() -> None:
    clock = [0.0]
    dispatcher = Dispatcher(lambda d: None, dedupe_window=60, clock=lambda: clock[0])
    first = delivery("http://127.0.0.1:9/x")
    assert dispatcher.submit(first) and not dispatcher.submit(first)
    assert dispatcher.submit(delivery("http://127.0.0.1:9/x", "other message"))
    clock[0] = 61.0
    assert dispatcher.submit(first) and dispatcher.stats.deduped == 1


def test_a_full_queue_drops_and_counts_without_blocking() -> None:
    failed: list[str] = []
    dispatcher = Dispatcher(lambda d: None, size=2, on_failure=failed.append)  # not started
    results = [dispatcher.submit(delivery("http://127.0.0.1:9/x", f"m{i}")) for i in range(4)]
    assert results == [True, True, False, False]
    assert dispatcher.stats.dropped == 2 and failed == ["generic", "generic"]


def test_a_dead_and_a_hanging_receiver_never_slow_the_caller() -> None:
    dead = f"http://{LOCALHOST}:{free_port()}/hook"
    with serve_receiver(hang=3.0) as hanging:
        dispatcher = Dispatcher(http_sender(timeout=1.0), sleep=lambda _: None).start()
        started = time.monotonic()
        for i in range(20):
            dispatcher.submit(delivery(dead, f"dead {i}"))
            dispatcher.submit(delivery(hanging.url, f"hang {i}"))
        assert time.monotonic() - started < 0.5
        dispatcher.stop(timeout=0.1)
