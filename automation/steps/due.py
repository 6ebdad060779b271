"""Is it time? Pure decisions that take `now` as a parameter (table-tested, never sleep)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

# Less than this remaining counts as due (Flux's rule), so a scheduler firing a few ms early
# still runs the work instead of waiting a whole interval.
SLACK = timedelta(seconds=1)


def spec_hash(*parts: BaseModel | str) -> str:
    """Content hash of specs: any change to what the user wrote makes work due again."""
    data: list[Any] = [
        p.model_dump(mode="json", by_alias=True) if isinstance(p, BaseModel) else p for p in parts
    ]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def interval_elapsed(now: datetime, last: datetime | None, interval: timedelta) -> bool:
    return last is None or now - last >= interval - SLACK


def next_due(now: datetime, last: datetime | None, interval: timedelta) -> timedelta:
    """How long until the interval has elapsed (zero when due)."""
    if last is None:
        return timedelta(0)
    return max(timedelta(0), last + interval - now)
