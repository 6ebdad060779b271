"""The numerical policy: candidates read as Go float64 numbers.

In: candidate values. Out: `asc` -> the greatest number, `desc` -> the smallest.
As in Flux, one value that is not a number (Go `strconv.ParseFloat` grammar, see
`gofloat.py`) fails the whole policy: use `filterTags.extract` to pull a number out of
the tags. On equal numbers (`1`, `1.0`, `01`) the value later in iteration order wins,
and a NaN only wins when it comes first (Flux's `>=`/`<=` loop, reproduced on purpose).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from automation.errors import NoMatchingTagError
from automation.policy.gofloat import GoFloatError, parse_go_float
from automation.policy.policer import Order

_SHOWN = 3


class NonNumericTagError(NoMatchingTagError):
    """Some candidates are not numbers; the numerical policy cannot order them."""

    def __init__(self, bad: Sequence[str]) -> None:
        self.values = tuple(bad)
        shown = ", ".join(repr(v) for v in bad[:_SHOWN])
        more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
        super().__init__(
            f"failed to parse invalid numeric value {shown}{more}: the numerical policy needs "
            "every candidate to be a number; use filterTags (pattern/extract) to select "
            "numeric tags"
        )


@dataclass(frozen=True, slots=True)
class Numerical:
    order: Order = "asc"

    @property
    def description(self) -> str:
        return f"numerical order {self.order}"

    def rejection(self, value: str) -> str | None:
        try:
            parse_go_float(value)
        except GoFloatError as err:
            return f"not a number ({err.reason})"
        return None

    def latest(self, values: Sequence[str]) -> str | None:
        numbers: list[float] = []
        bad: list[str] = []
        for value in values:
            try:
                numbers.append(parse_go_float(value))
            except GoFloatError:
                bad.append(value)
        if bad:
            raise NonNumericTagError(bad)
        winner: str | None = None
        best = 0.0
        for i, (value, number) in enumerate(zip(values, numbers, strict=True)):
            better = number >= best if self.order == "asc" else number <= best
            if i == 0 or better:
                winner, best = value, number
        return winner
