"""`--platform` parsing and matching (pure)."""

from __future__ import annotations

import pytest

from automation.errors import UsageError
from automation.registry.platforms import Platform, parse_platform


@pytest.mark.parametrize(
    ("text", "platform"),
    [
        ("linux/amd64", Platform("linux", "amd64")),
        ("linux/arm/v7", Platform("linux", "arm", "v7")),
        ("windows/amd64", Platform("windows", "amd64")),
    ],
)
def test_parse_platform(text: str, platform: Platform) -> None:
    assert parse_platform(text) == platform
    assert str(platform) == text


@pytest.mark.parametrize("text", ["linux", "linux/", "/amd64", "a/b/c/d", ""])
def test_parse_platform_rejects(text: str) -> None:
    with pytest.raises(UsageError, match="expected OS/ARCH"):
        parse_platform(text)


@pytest.mark.parametrize(
    ("wanted", "offered", "matches"),
    [
        ("linux/arm64", ("linux", "arm64", "v8"), True),
        ("linux/arm64/v8", ("linux", "arm64", ""), True),  # v8 is arm64's default
        ("linux/arm/v7", ("linux", "arm", ""), True),
        ("linux/arm/v6", ("linux", "arm", "v7"), False),
        ("linux/amd64", ("windows", "amd64", ""), False),
        ("linux/amd64", ("linux", "arm64", ""), False),
    ],
)
def test_platform_matching(wanted: str, offered: tuple[str, str, str], matches: bool) -> None:
    assert parse_platform(wanted).matches(*offered) is matches
