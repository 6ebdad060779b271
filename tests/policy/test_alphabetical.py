"""The alphabetical policer (Flux internal/policy/alphabetical_test.go)."""

from __future__ import annotations

import pytest

from automation.errors import PolicyError
from automation.policy.alphabetical import Alphabetical
from automation.policy.factory import build_policer

UBUNTU = ["xenial", "yakkety", "zesty", "artful", "bionic"]
NUMBERS = ["16.04", "16.04.1", "16.10", "20.04", "20.10"]
STAMPS = ["1606234201", "1606364286", "1606334092", "1606334284", "1606334201"]
RFC = [
    "2021-01-08T21-18-21Z",
    "2020-05-08T21-18-21Z",
    "2021-01-08T19-20-00Z",
    "1990-01-08T00-20-00Z",
    "2023-05-08T00-20-00Z",
]


@pytest.mark.parametrize(
    ("order", "tags", "expected"),
    [
        ("asc", NUMBERS, "20.10"),
        ("desc", NUMBERS, "16.04"),
        ("asc", UBUNTU, "zesty"),
        ("desc", UBUNTU, "artful"),
        ("asc", STAMPS, "1606364286"),
        ("desc", STAMPS, "1606234201"),
        ("asc", [f"rel-{s}" for s in STAMPS], "rel-1606364286"),
        ("asc", RFC, "2023-05-08T00-20-00Z"),
        ("desc", RFC, "1990-01-08T00-20-00Z"),
        ("asc", [], None),
        # byte-wise, not natural order; non-ASCII sorts by UTF-8 bytes (= code points)
        ("asc", ["9", "10"], "9"),
        ("asc", ["z", "é"], "é"),
    ],
)
def test_latest(order: str, tags: list[str], expected: str | None) -> None:
    policer = build_policer("alphabetical", order=order)
    assert policer.latest(tags) == expected


@pytest.mark.parametrize(
    ("order", "normal"), [(None, "asc"), ("", "asc"), ("ASC", "asc"), ("DESC", "desc")]
)
def test_order_values(order: str | None, normal: str) -> None:
    assert build_policer("alphabetical", order=order) == Alphabetical(normal)  # type: ignore[arg-type]


def test_invalid_order() -> None:
    with pytest.raises(PolicyError, match="invalid order 'invalid'"):
        build_policer("alphabetical", order="invalid")
