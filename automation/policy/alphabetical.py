"""The alphabetical policy: byte-wise string order.

In: candidate values. Out: `asc` -> the greatest, `desc` -> the smallest (Flux's rule).
Python compares `str` by code point, which is the same order as comparing the UTF-8 bytes
that Go compares. Distinct strings never tie.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from automation.policy.policer import Order


@dataclass(frozen=True, slots=True)
class Alphabetical:
    order: Order = "asc"

    @property
    def description(self) -> str:
        return f"alphabetical order {self.order}"

    def rejection(self, value: str) -> str | None:
        return None

    def latest(self, values: Sequence[str]) -> str | None:
        if not values:
            return None
        return max(values) if self.order == "asc" else min(values)
