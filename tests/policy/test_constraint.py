"""Masterminds constraint semantics, table-driven from the library's own test rows."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from automation.policy.constraint import ConstraintError, parse_constraints
from automation.policy.version import parse_loose

DATA = json.loads((Path(__file__).parent / "data" / "masterminds_constraints.json").read_text())


def _id(row: dict[str, Any]) -> str:
    return f"{row['constraint']!r}~{row['version']!r}"


def test_table_is_large_enough() -> None:
    assert len(DATA["check"]) >= 200
    assert {r["check"] for r in DATA["check"]} == {True, False}


@pytest.mark.parametrize("row", DATA["check"], ids=_id)
def test_masterminds_check_table(row: dict[str, Any]) -> None:
    constraints = parse_constraints(row["constraint"])
    assert constraints.check(parse_loose(row["version"])) is row["check"]


@pytest.mark.parametrize("row", DATA["new_constraint"], ids=lambda r: repr(r["input"]))
def test_masterminds_new_constraint_table(row: dict[str, Any]) -> None:
    if row["error"]:
        with pytest.raises(ConstraintError):
            parse_constraints(row["input"])
        return
    constraints = parse_constraints(row["input"])
    assert len(constraints.groups) == row["ors"]
    assert len(constraints.groups[0].comparators) == row["count"]


# Flux internal/policy/semver_test.go TestNewSemVer, plus ranges quoted in Flux's
# ImagePolicy documentation (fluxcd/image-reflector-controller docs/spec/v1/imagepolicies.md).
@pytest.mark.parametrize(
    "text",
    ["1.0.x", "^1.0", "=1.0.0", "~1.0", ">=1.0", ">0,<2.0", "v1.0.x", "^1.x-0", "1.2 - 1.4.5"],
)
def test_valid_ranges(text: str) -> None:
    parse_constraints(text)


@pytest.mark.parametrize(
    "text", ["1.0.0p", "1x", "x1", "-1", "a", "", "*-*", ">=1.0 <", "1.0 ||", "~> ", "1.2.3.4"]
)
def test_invalid_ranges(text: str) -> None:
    with pytest.raises(ConstraintError, match="constraint"):
        parse_constraints(text)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("*", "*"),
        (">=1.2.3", ">=1.2.3"),
        (">= 1.2.3", ">=1.2.3"),
        ("2.x,   >=1.2.3 || >4.5.6, < 5.7", "2.x >=1.2.3 || >4.5.6 <5.7"),
        ("1.2", "1.2"),
    ],
)
def test_normalised_string(text: str, normal: str) -> None:
    assert str(parse_constraints(text)) == normal


@pytest.mark.parametrize(
    ("text", "version", "ok"),
    [
        ("v1.0.x", "1.0.1", True),
        ("v1.0.x", "v1.0.1", True),
        ("1.2 - 1.4.5", "1.4.5", True),
        ("1.2 - 1.4.5", "1.4.6", False),
        ("1.2-1.4.5", "1.2.0-1.4.5", True),  # no spaces: a prerelease, not a range
        ("1.2 - 1.4", "1.4.9", True),  # partial upper bound acts as 1.4.x
        (">=1.0.0-0", "2.0.330-63-gc1cfb6864", True),
        (">=1.0.0", "2.0.330-63-gc1cfb6864", False),
        ("^1.x-0", "1.3.0-rc.1", True),
        ("~>1.2", "1.2.9", True),
        ("=>1.2, =<1.3", "1.3.5", True),
        ("<1.0.0 || >=2.0.0-0", "2.0.0-beta", True),
        ("<1.0.0-0 || >=2.0.0", "2.0.0-beta", False),  # prerelease opt-in is per OR group
        ("!=1.2.3", "1.2.4", True),
    ],
)
def test_flux_documented_semantics(text: str, version: str, ok: bool) -> None:
    assert parse_constraints(text).check(parse_loose(version)) is ok


def test_limits() -> None:
    with pytest.raises(ConstraintError, match="too long"):
        parse_constraints(">=1.0.0 " * 100)
    with pytest.raises(ConstraintError, match="too many"):
        parse_constraints(" || ".join(["1.0.0"] * 33))
    assert len(parse_constraints(" || ".join(["1.0.0"] * 32)).groups) == 32


def test_hostile_range_is_linear() -> None:
    hostile = "1" + " 1" * 250 + " !"
    start = time.perf_counter()
    with pytest.raises(ConstraintError):
        parse_constraints(hostile)
    assert time.perf_counter() - start < 0.1
