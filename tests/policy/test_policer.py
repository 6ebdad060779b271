"""The order argument of alphabetical and numerical policies, read as Flux reads it."""

from __future__ import annotations

import pytest

from automation.errors import PolicyError
from automation.policy.policer import parse_order


@pytest.mark.parametrize(
    ("order", "parsed"),
    [
        (None, "asc"),
        ("", "asc"),
        ("asc", "asc"),
        ("ASC", "asc"),
        ("desc", "desc"),
        ("Desc", "desc"),
    ],
)
def test_parse_order(order: str | None, parsed: str) -> None:
    assert parse_order(order, "numerical") == parsed


def test_a_bad_order_names_the_policy_kind() -> None:
    with pytest.raises(PolicyError, match="invalid order 'up' for the alphabetical policy"):
        parse_order("up", "alphabetical")
