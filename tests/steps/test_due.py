"""The shared clock rules of every "is it due" decision: one second of slack, spec hashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from automation.config.image import FilterTags
from automation.steps.due import SLACK, interval_elapsed, next_due, spec_hash

NOW = datetime(2026, 11, 21, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_interval_elapsed_counts_less_than_the_slack_remaining_as_due() -> None:
    assert interval_elapsed(NOW, None, HOUR)
    assert interval_elapsed(NOW, NOW - HOUR, HOUR)
    assert interval_elapsed(NOW, NOW - HOUR + SLACK, HOUR)
    assert not interval_elapsed(NOW, NOW - HOUR + 2 * SLACK, HOUR)


def test_next_due_is_the_time_left_and_never_negative() -> None:
    assert next_due(NOW, None, HOUR) == timedelta(0)
    assert next_due(NOW, NOW - timedelta(minutes=20), HOUR) == timedelta(minutes=40)
    assert next_due(NOW, NOW - 3 * HOUR, HOUR) == timedelta(0)


def test_spec_hash_changes_with_any_field_and_is_stable() -> None:
    one = spec_hash(FilterTags(pattern="^v"), "ghcr.io/org/app")
    assert one == spec_hash(FilterTags(pattern="^v"), "ghcr.io/org/app")
    assert one != spec_hash(FilterTags(pattern="^v", extract="$1"), "ghcr.io/org/app")
    assert one != spec_hash(FilterTags(pattern="^v"), "ghcr.io/org/other")
    assert len(one) == 16
