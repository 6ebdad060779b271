"""Go-style durations as Flux writes them (`1m`, `1h30m`, `500ms`, `1.5s`) -> timedelta."""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)")
DURATION_PATTERN = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h))+$")
# ImageRepository.spec.timeout does not accept hours (Flux CRD pattern).
TIMEOUT_PATTERN = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?(?:ms|s|m))+$")


def parse_duration(text: str, *, allow_hours: bool = True) -> timedelta:
    """Parse `1h30m` into a timedelta; raise ValueError with the accepted form."""
    pattern = DURATION_PATTERN if allow_hours else TIMEOUT_PATTERN
    if not isinstance(text, str) or not pattern.fullmatch(text):
        units = "ms, s, m, h" if allow_hours else "ms, s, m"
        raise ValueError(
            f"invalid duration {text!r}: expected a number and unit ({units}), e.g. 5m"
        )
    seconds = sum(float(num) * _UNIT_SECONDS[unit] for num, unit in _PART.findall(text))
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Inverse of parse_duration for display (`1h30m0s` style is Go's; we print compactly)."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms % 1000:
        return f"{total_ms}ms"
    seconds = total_ms // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text or "0s"
