"""What every policy kind offers the selection step, and the shared `order` setting.

A policer sees the candidate values (tags, or what `filterTags.extract` made of them) in
iteration order and names the latest one, or None when no value qualifies. It can also say
why one value is not a candidate, for `policy test -v`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from automation.errors import PolicyError

Order = Literal["asc", "desc"]


class Policer(Protocol):
    """One policy kind, configured (a range, an order)."""

    @property
    def description(self) -> str:
        """Human words for the rule, e.g. `semver range '1.0.x'`."""
        ...

    def rejection(self, value: str) -> str | None:
        """Why `value` can never win under this policy, or None when it is a candidate."""
        ...

    def latest(self, values: Sequence[str]) -> str | None:
        """The winner among `values` (iteration order decides ties), None when none qualifies."""
        ...


def parse_order(order: str | None, kind: str) -> Order:
    """Flux upper-cases the order: `""`/None -> asc; `ASC`, `desc` fine; anything else fails."""
    text = (order or "asc").lower()
    if text == "asc":
        return "asc"
    if text == "desc":
        return "desc"
    raise PolicyError(f"invalid order {order!r} for the {kind} policy: use 'asc' or 'desc'")
