"""Go strconv.ParseFloat(s, 64) grammar (rows from Go's strconv atof_test.go and docs)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation.policy.gofloat import GoFloatError, parse_go_float

OK = [
    ("1", 1.0),
    ("+1", 1.0),
    ("-0.1", -0.1),
    ("1e23", 1e23),
    ("1E23", 1e23),
    ("625e-3", 0.625),
    (".5", 0.5),
    ("5.", 5.0),
    ("1e3", 1000.0),
    ("+5", 5.0),
    ("0x1p-2", 0.25),
    ("0x1p0", 1.0),
    ("0x1ep-1", 15.0),
    ("-0x1_ep-1", -15.0),
    ("0x1fFe2.p0", 131042.0),
    ("0x0.fp4", 15.0),
    ("0x.1p-2", 0.015625),
    ("0x_1_2.3_4_5p+1_2", 74565.0),
    ("1_23.50_0_0e+1_2", 1.235e14),
    ("1_000", 1000.0),
    ("1.7976931348623157e308", 1.7976931348623157e308),
    ("1.7976931348623158e308", 1.7976931348623157e308),
    ("2e-324", 0.0),
    ("1e-400000", 0.0),
    ("0e+01234567890123456789", 0.0),
    ("0x0p+01234567890123456789", 0.0),
    ("0x1p-18446744073709551616", 0.0),
    ("Inf", math.inf),
    ("+Inf", math.inf),
    ("-Inf", -math.inf),
    ("inf", math.inf),
    ("+INFINITY", math.inf),
    ("-infinity", -math.inf),
    ("Infinity", math.inf),
]

SYNTAX = [
    "",
    "1x",
    "1.1.",
    "0x1e2",
    "1p2",
    "1e",
    "1e-",
    ".e-1",
    "1\x00.2",
    "0x",
    "0x.",
    "0x1",
    "0x.1",
    "0x1p",
    "0x1p+",
    "-_123.5e+12",
    "_123.5e+12",
    "1__23.5e+12",
    "123_.5e+12",
    "123._5e+12",
    "123.5_e+12",
    "123.5e_+12",
    "123.5e+_12",
    "123.5e+1__2",
    "123.5e+12_",
    "-_0x12.345p+12",
    "0x__12.345p+12",
    "0x12_.345p+12",
    "0x12.345p+12_",
    "1_",
    "_1",
    # Python float() accepts these, Go does not
    " 1",
    "1 ",
    "\t1",
    "+nan",
    "-nan",
    "infin",
    "infinit",
    "nan(1)",
    "١٢",
    "1_000 ",
    "0b101",
    "0o17",
]

RANGE = [
    "1e309",
    "-1e310",
    "1.7976931348623159e308",
    "0x1p1024",
    "1e+18446744073709551616",
    "0x1p+18446744073709551616",
]


@pytest.mark.parametrize(("text", "value"), OK)
def test_accepted(text: str, value: float) -> None:
    assert parse_go_float(text) == value


@pytest.mark.parametrize("text", ["nan", "NaN", "NAN"])
def test_nan(text: str) -> None:
    assert math.isnan(parse_go_float(text))


@pytest.mark.parametrize("text", SYNTAX)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(GoFloatError, match="invalid syntax"):
        parse_go_float(text)


@pytest.mark.parametrize("text", RANGE)
def test_range_errors(text: str) -> None:
    with pytest.raises(GoFloatError, match="out of range"):
        parse_go_float(text)


def test_negative_zero_keeps_its_sign() -> None:
    assert math.copysign(1.0, parse_go_float("-0e+0")) == -1.0


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_round_trips_python_repr_and_hex(value: float) -> None:
    assert parse_go_float(repr(value)) == value
    assert parse_go_float(value.hex()) == value


@given(st.text(alphabet="0123456789_.eE+-xXpPabcdfinINtyFA ", max_size=12))
def test_never_crashes_and_agrees_with_python_on_plain_decimals(text: str) -> None:
    try:
        value = parse_go_float(text)
    except GoFloatError:
        return
    if (
        "_" not in text
        and "x" not in text.lower()
        and text.lower().lstrip("+-")
        not in (
            "inf",
            "infinity",
            "nan",
        )
    ):
        assert value == float(text)
