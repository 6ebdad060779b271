"""The semver policy: the highest version within a Masterminds range.

In: candidate values. Out: the original string of the highest version that Flux's tag
parser accepts (`version.parse_tag`: a leading `v`, at least three dot-separated parts) and
that the range admits. Values that are not versions are skipped silently, as in Flux.
On equal precedence (`1.0.0`, `v1.0.0`, `1.0.0+build`) the first in iteration order wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from automation.policy.constraint import Constraints
from automation.policy.version import Version, VersionError, parse_tag


@dataclass(frozen=True, slots=True)
class SemVer:
    constraints: Constraints

    @property
    def description(self) -> str:
        return f"semver range {self.constraints.source!r}"

    def rejection(self, value: str) -> str | None:
        try:
            version = parse_tag(value)
        except VersionError as err:
            return f"not a version: {err}"
        if self.constraints.check(version):
            return None
        if version.prerelease and not self.constraints.admits_prereleases:
            return (
                f"prerelease excluded by range {self.constraints.source!r} "
                "(a range admits prereleases only with a prerelease comparator, e.g. '>=1.0.0-0')"
            )
        return f"outside range {self.constraints.source!r}"

    def latest(self, values: Sequence[str]) -> str | None:
        best: Version | None = None
        for value in values:
            try:
                version = parse_tag(value)
            except VersionError:
                continue
            if self.constraints.check(version) and (best is None or version > best):
                best = version
        return None if best is None else best.original


def is_downgrade(current: str, candidate: str) -> bool:
    """True when both tags are versions (Flux rule) and `candidate` has lower precedence.

    For `forbidDowngrade`; a tag that is not a version never counts as a downgrade.
    """
    try:
        return parse_tag(candidate) < parse_tag(current)
    except VersionError:
        return False
