"""Semantic versions as Masterminds/semver v3 (loose parser) and Flux read them.

In:  a string (an image tag, or a version inside a constraint).
Out: a `Version` that keeps the original string and compares by semver precedence
     (build metadata ignored; a prerelease sorts below its release; prerelease identifiers
     compare numerically when both are numbers, else byte-wise, numbers below words).

Two parsers:
- `parse_loose` is Masterminds' coercing `NewVersion`: a leading `v`, missing minor/patch
  (`1.2` -> 1.2.0), leading zeros in the numbers (`2025.07.03`) are accepted; a numeric
  prerelease identifier with a leading zero (`1.2.3-beta.01`) and a fourth number
  (`1.2.3.4`) are not. Constraints use this one.
- `parse_tag` is Flux's `version.ParseVersion` (fluxcd/pkg): the tag must contain at least
  two dots before the loose parser is asked, so `v1.2` and `1.2-5` are not versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Masterminds' loose version regex, applied to the whole string (Go `^...$` = no trailing \n).
_LOOSE = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
_UINT64_MAX = 2**64 - 1


class VersionError(ValueError):
    """The string is not a version under the parser's rules (message says why)."""


@dataclass(frozen=True, slots=True)
class Version:
    """A parsed version. Equality and ordering follow precedence, not the original text."""

    major: int
    minor: int
    patch: int
    prerelease: str = ""
    metadata: str = field(default="", compare=False)
    original: str = field(default="", compare=False)

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        if self.metadata:
            text += f"+{self.metadata}"
        return text

    def compare(self, other: Version) -> int:
        """-1, 0 or 1 by semver precedence (Masterminds `Compare`)."""
        mine = (self.major, self.minor, self.patch)
        theirs = (other.major, other.minor, other.patch)
        if mine != theirs:
            return -1 if mine < theirs else 1
        if self.prerelease == other.prerelease:
            return 0
        if not self.prerelease:
            return 1
        if not other.prerelease:
            return -1
        return compare_prerelease(self.prerelease, other.prerelease)

    def __lt__(self, other: Version) -> bool:
        return self.compare(other) < 0

    def __le__(self, other: Version) -> bool:
        return self.compare(other) <= 0

    def __gt__(self, other: Version) -> bool:
        return self.compare(other) > 0

    def __ge__(self, other: Version) -> bool:
        return self.compare(other) >= 0


def _as_uint(part: str) -> int | None:
    """Go strconv.ParseUint(part, 10, 64): ASCII digits only, within uint64."""
    if not part or not part.isascii() or not part.isdigit():
        return None
    value = int(part)
    return value if value <= _UINT64_MAX else None


def _compare_part(mine: str, theirs: str) -> int:
    if mine == theirs:
        return 0
    # A missing identifier (shorter prerelease) sorts first.
    if not mine:
        return -1
    if not theirs:
        return 1
    mine_num, theirs_num = _as_uint(mine), _as_uint(theirs)
    if mine_num is None and theirs_num is None:
        return 1 if mine > theirs else -1
    if mine_num is None:
        return 1  # words sort above numbers
    if theirs_num is None:
        return -1
    return 1 if mine_num > theirs_num else -1


def compare_prerelease(mine: str, theirs: str) -> int:
    """Compare two prerelease strings identifier by identifier (Masterminds rules)."""
    mine_parts, their_parts = mine.split("."), theirs.split(".")
    for i in range(max(len(mine_parts), len(their_parts))):
        a = mine_parts[i] if i < len(mine_parts) else ""
        b = their_parts[i] if i < len(their_parts) else ""
        result = _compare_part(a, b)
        if result:
            return result
    return 0


def _number(text: str | None, what: str, original: str) -> int:
    if not text:
        return 0
    value = int(text.lstrip("."))
    if value > _UINT64_MAX:
        raise VersionError(f"{original!r}: {what} number {value} is out of range")
    return value


def parse_loose(text: str) -> Version:
    """Masterminds `NewVersion` (coercing): raises `VersionError` when not a version."""
    match = _LOOSE.fullmatch(text)
    if match is None:
        raise VersionError(f"{text!r} is not a semantic version")
    prerelease = match.group(4) or ""
    for ident in prerelease.split(".") if prerelease else ():
        if ident.isdigit() and len(ident) > 1 and ident.startswith("0"):
            raise VersionError(
                f"{text!r}: numeric prerelease identifier {ident!r} has a leading zero"
            )
    return Version(
        major=_number(match.group(1), "major", text),
        minor=_number(match.group(2), "minor", text),
        patch=_number(match.group(3), "patch", text),
        prerelease=prerelease,
        metadata=match.group(5) or "",
        original=text,
    )


def parse_tag(tag: str) -> Version:
    """Flux `version.ParseVersion`: at least three dot-separated parts, then `parse_loose`."""
    if len(tag.split(".", 2)) != 3:
        raise VersionError(f"{tag!r} has fewer than three dot-separated parts")
    return parse_loose(tag)
