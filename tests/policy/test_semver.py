"""The semver policer (Flux internal/policy/semver_test.go and tie rules)."""

from __future__ import annotations

import pytest

from automation.policy.constraint import parse_constraints
from automation.policy.semver import SemVer, is_downgrade


def policer(text: str) -> SemVer:
    return SemVer(parse_constraints(text))


@pytest.mark.parametrize(
    ("range_", "tags", "expected"),
    [
        ("1.0.x", ["1.0.0", "1.0.0.1", "1.0.0p", "1.0.1", "1.2.0", "0.1.0"], "1.0.1"),
        ("1.0.x", ["v1.2.3", "v1.0.0", "v0.1.0"], "v1.0.0"),
        ("1.0.x", ["b1.2.3", "b1.0.0", "b0.1.0"], None),
        ("1.0.x", [], None),
        ("1.0.x", ["1.2.0"], None),
        # prereleases only on request
        ("1.0.x", ["0.1.0", "1.0.0", "1.0.2", "1.1.0-alpha", "1.0.3-rc.1"], "1.0.2"),
        (">=1.0.0-0", ["1.0.2", "1.0.3-rc.1", "1.0.3-rc.10", "1.0.3-rc.9"], "1.0.3-rc.10"),
        # two-part tags are never versions for Flux, even if the range would admit them
        ("*", ["1.9", "1.2.3", "v2"], "1.2.3"),
    ],
)
def test_latest(range_: str, tags: list[str], expected: str | None) -> None:
    assert policer(range_).latest(tags) == expected


def test_equal_precedence_first_encountered_wins() -> None:
    p = policer(">=1.0.0")
    assert p.latest(["v1.0.0", "1.0.0+b1", "1.0.0"]) == "v1.0.0"
    assert p.latest(["1.0.0", "v1.0.0"]) == "1.0.0"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("latest", "not a version"),
        ("v1.2", "not a version"),
        ("2.0.0", "outside range '1.x'"),
        ("1.1.0-rc.1", "prerelease excluded"),
    ],
)
def test_rejection_reasons(value: str, reason: str) -> None:
    found = policer("1.x").rejection(value)
    assert found is not None and reason in found
    assert policer("1.x").rejection("1.4.0") is None


@pytest.mark.parametrize(
    ("current", "candidate", "downgrade"),
    [
        ("v1.2.0", "1.1.9", True),
        ("1.2.0", "v1.2.0", False),
        ("1.2.0", "1.2.0-rc.1", True),
        ("1.2.0", "1.3.0", False),
        ("latest", "1.0.0", False),
        ("1.0.0", "latest", False),
    ],
)
def test_is_downgrade(current: str, candidate: str, downgrade: bool) -> None:
    assert is_downgrade(current, candidate) is downgrade
