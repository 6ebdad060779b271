"""Go-style durations as Flux writes them, and their compact display."""

from __future__ import annotations

from datetime import timedelta

import pytest

from automation.config.duration import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1m", timedelta(minutes=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("500ms", timedelta(milliseconds=500)),
        ("1.5s", timedelta(seconds=1.5)),
    ],
)
def test_parse(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value


@pytest.mark.parametrize("text", ["", "5", "1d", "-1m", "1 m", "m"])
def test_parse_rejects_with_the_accepted_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected a number and unit \(ms, s, m, h\)"):
        parse_duration(text)


def test_timeouts_take_no_hours() -> None:
    assert parse_duration("90s", allow_hours=False) == timedelta(seconds=90)
    with pytest.raises(ValueError, match=r"\(ms, s, m\)"):
        parse_duration("1h", allow_hours=False)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(seconds=61), "1m1s"),
        (timedelta(milliseconds=1500), "1500ms"),
        (timedelta(0), "0s"),
    ],
)
def test_format(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value
