"""The scan decision (time as a parameter): when an ImageRepository is due for a rescan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from automation.steps.scan import is_scan_due

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("last_scan", "spec_changed", "forced", "due"),
    [
        (None, False, False, True),  # never scanned
        (NOW - timedelta(minutes=10), False, False, False),  # well within the interval
        (NOW - HOUR, False, False, True),  # exactly one interval ago
        (NOW - HOUR + timedelta(milliseconds=500), False, False, True),  # < 1 s left: due
        (NOW - HOUR + timedelta(seconds=2), False, False, False),  # 2 s left: not yet
        (NOW - timedelta(days=3), False, False, True),  # long overdue
        (NOW - timedelta(minutes=1), True, False, True),  # spec changed
        (NOW - timedelta(minutes=1), False, True, True),  # forced (requestedAt)
        (NOW + timedelta(minutes=5), False, False, True),  # clock went back: scan
    ],
)
def test_is_scan_due(
    last_scan: datetime | None, spec_changed: bool, forced: bool, due: bool
) -> None:
    assert is_scan_due(NOW, last_scan, HOUR, spec_changed, forced) is due
