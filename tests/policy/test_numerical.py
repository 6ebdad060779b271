"""The numerical policer (Flux internal/policy/numerical_test.go, inputs shuffled)."""

from __future__ import annotations

import math
import random

import pytest

from automation.errors import NoMatchingTagError, PolicyError
from automation.policy.factory import build_policer
from automation.policy.numerical import NonNumericTagError

CASES = [
    ("asc", ["-62", "-88", "73", "72", "15", "16", "15", "29", "-33", "-91"], "73"),
    ("desc", ["5", "-8", "-78", "25", "70", "-4", "80", "92", "-20", "-24"], "-78"),
    (
        "asc",
        [
            "47.40896403322944",
            "-27.8520927455902",
            "-27.930666514224427",
            "-31.352485948094568",
            "-50.41072694704882",
            "-21.962849842263736",
            "24.71884721436865",
            "-39.99177354004344",
            "53.47333823144817",
            "3.2008658570411086",
        ],
        "53.47333823144817",
    ),
    (
        "desc",
        [
            "-65.27202780220686",
            "57.82948329142309",
            "22.40184684363291",
            "-86.36934305697784",
            "-90.29082099756083",
            "-12.041712603564264",
            "77.70488240399305",
            "-38.98425003883552",
            "16.06867070412028",
            "53.735674335181216",
        ],
        "-90.29082099756083",
    ),
    ("asc", ["1606234201", "1606364286", "1606334092", "1606334284", "1606334201"], "1606364286"),
    ("desc", ["1606234201", "1606364286", "1606334092", "1606334284", "1606334201"], "1606234201"),
    ("asc", ["1"], "1"),
    ("desc", ["1"], "1"),
    # Go float grammar: hex, exponents, underscores
    ("asc", ["0x1p4", "15", "1e1"], "0x1p4"),
    ("desc", ["1_000", "999"], "999"),
]


@pytest.mark.parametrize(("order", "tags", "expected"), CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_latest_is_order_independent(order: str, tags: list[str], expected: str, seed: int) -> None:
    shuffled = list(tags)
    random.Random(seed).shuffle(shuffled)
    assert build_policer("numerical", order=order).latest(shuffled) == expected


def test_empty_list_has_no_latest() -> None:
    assert build_policer("numerical").latest([]) is None


def test_non_number_fails_the_whole_policy() -> None:
    with pytest.raises(NonNumericTagError, match="'1a', 'b'") as info:
        build_policer("numerical").latest(["0", "1a", "b"])
    assert isinstance(info.value, NoMatchingTagError)
    assert "filterTags" in str(info.value)
    assert info.value.values == ("1a", "b")


@pytest.mark.parametrize("bad", [" 1", "1 ", "+nan", "1e309", "١"])
def test_values_python_would_accept_or_overflow(bad: str) -> None:
    with pytest.raises(NonNumericTagError):
        build_policer("numerical").latest(["1", bad])


def test_ties_go_to_the_later_value() -> None:
    assert build_policer("numerical", order="asc").latest(["1", "1.0", "01"]) == "01"
    assert build_policer("numerical", order="desc").latest(["01", "1.0", "1"]) == "1"


def test_nan_wins_only_when_first_like_flux() -> None:
    p = build_policer("numerical")
    assert p.latest(["NaN", "5"]) == "NaN"
    assert p.latest(["5", "NaN"]) == "5"
    assert math.isnan(float("nan"))


def test_rejection_names_the_problem() -> None:
    p = build_policer("numerical")
    assert p.rejection("12") is None
    assert p.rejection("v12") == "not a number (invalid syntax)"
    assert p.rejection("1e400") == "not a number (value out of range)"


def test_invalid_order() -> None:
    with pytest.raises(PolicyError):
        build_policer("numerical", order="up")
