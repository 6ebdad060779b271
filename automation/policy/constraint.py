"""Semver ranges with the semantics of Masterminds/semver v3 `NewConstraint` / `Check`.

In:  a range string such as `>=1.2 <2 || ^3.0.0-0`.
Out: a `Constraints` value whose `check(version)` answers like Masterminds (the library Flux
     uses, with `IncludePrerelease` left false).

Grammar: OR groups split by `||`; inside a group, comparators separated by a comma and/or
whitespace; operators `=` (or none), `!=`, `>`, `<`, `>=`/`=>`, `<=`/`=<`, `~`/`~>`, `^`;
hyphen ranges `A - B` (spaces required) rewritten to `>= A, <= B`; `x`, `X`, `*` wildcards
and missing minor/patch make a comparator "dirty", which several operators treat as a
wildcard (`<=1.1` admits 1.1.9, `>1.1` needs 1.2.0). A prerelease version is admitted only
when some comparator in the same OR group carries a prerelease (`>=1.0.0-0`).

The tokenising regexes are Masterminds' own, run on RE2 (linear time, the same
leftmost-first semantics as Go's regexp), so odd inputs split exactly as they do in Go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import re2

from automation.policy.version import Version, VersionError, compare_prerelease, parse_loose

MAX_CONSTRAINT_LEN = 512
MAX_CONSTRAINT_GROUPS = 32

_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
# Masterminds' cvRegex (its segment class really does include `|`).
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_CV_PLAIN = (
    r"v?[0-9|x|X|\*]+(?:\.[0-9|x|X|\*]+)?(?:\.[0-9|x|X|\*]+)?"
    r"(?:-[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?"
    r"(?:\+[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*)?"
)
_QUIET = re2.Options()
_QUIET.log_errors = False
_ATOM = re2.compile(rf"^\s*({_OPS})\s*({_CV})\s*$", _QUIET)
_RANGE = re2.compile(rf"\s*({_CV_PLAIN})\s+-\s+({_CV_PLAIN})\s*", _QUIET)
_FIND = re2.compile(rf"({_OPS})\s*({_CV_PLAIN})", _QUIET)
_VALID_GROUP = re2.compile(
    rf"^(\s*(?:{_OPS})\s*(?:{_CV_PLAIN})\s*)((?:\s+|,\s*)(?:{_OPS})\s*(?:{_CV_PLAIN})\s*)*$",
    _QUIET,
)


class ConstraintError(ValueError):
    """The range string is not a valid Masterminds constraint."""


@dataclass(frozen=True, slots=True)
class Comparator:
    """One `op version` term. `dirty`: a wildcard or missing part somewhere."""

    op: str
    version: Version
    text: str
    dirty: bool = False
    minor_dirty: bool = False
    patch_dirty: bool = False

    def check(self, v: Version, include_pre: bool) -> bool:
        if v.prerelease and not include_pre:
            return False
        return _CHECKS[self.op](v, self)

    def __str__(self) -> str:
        return f"{self.op}{self.text}"


@dataclass(frozen=True, slots=True)
class Group:
    """Comparators joined by AND; `has_prerelease` opens the group to prereleases."""

    comparators: tuple[Comparator, ...]
    has_prerelease: bool

    def check(self, v: Version) -> bool:
        return all(c.check(v, self.has_prerelease) for c in self.comparators)


@dataclass(frozen=True, slots=True)
class Constraints:
    """A parsed range: OR of groups."""

    source: str
    groups: tuple[Group, ...]

    def check(self, v: Version) -> bool:
        return any(g.check(v) for g in self.groups)

    @property
    def admits_prereleases(self) -> bool:
        return any(g.has_prerelease for g in self.groups)

    def __str__(self) -> str:
        return " || ".join(" ".join(str(c) for c in g.comparators) for g in self.groups)


def _is_x(part: str) -> bool:
    return part in ("x", "X", "*")


def _rewrite_ranges(text: str) -> str:
    if "-" not in text:
        return text
    out = text
    for m in _RANGE.finditer(text):
        out = out.replace(m.group(0), f">= {m.group(1)}, <= {m.group(2)} ", 1)
    return out


def _parse_comparator(atom: str) -> Comparator:
    m = _ATOM.search(atom)
    if m is None:
        raise ConstraintError(f"improper constraint: {atom.strip()!r}")
    op, whole = m.group(1), m.group(2)
    major, minor, patch, pre = (m.group(i) or "" for i in (3, 4, 5, 6))
    dirty = minor_dirty = patch_dirty = False
    text = whole
    if _is_x(major) or not major:
        text, dirty = f"0.0.0{pre}", True
    elif _is_x(minor[1:]) or not minor:
        text, dirty, minor_dirty = f"{major}.0.0{pre}", True, True
    elif _is_x(patch[1:]) or not patch:
        text, dirty, patch_dirty = f"{major}{minor}.0{pre}", True, True
    try:
        version = parse_loose(text)
    except VersionError as err:
        raise ConstraintError(f"improper constraint: {atom.strip()!r} ({err})") from None
    return Comparator(op, version, whole, dirty, minor_dirty, patch_dirty)


def _parse_group(text: str) -> Group:
    if _VALID_GROUP.search(text) is None:
        raise ConstraintError(f"improper constraint: {text.strip()!r}")
    atoms = [m.group(0) for m in _FIND.finditer(text)] or [text]
    comparators = tuple(_parse_comparator(a) for a in atoms)
    return Group(comparators, any(c.version.prerelease for c in comparators))


@lru_cache(maxsize=512)
def parse_constraints(text: str) -> Constraints:
    """Masterminds `NewConstraint`. Raises `ConstraintError` with a one-line reason."""
    if len(text) > MAX_CONSTRAINT_LEN:
        raise ConstraintError(f"constraint is too long (max {MAX_CONSTRAINT_LEN} bytes)")
    ors = _rewrite_ranges(text).split("||")
    if len(ors) > MAX_CONSTRAINT_GROUPS:
        raise ConstraintError(f"too many constraint groups (max {MAX_CONSTRAINT_GROUPS})")
    return Constraints(text, tuple(_parse_group(g) for g in ors))


# --- operator semantics (prerelease gating already done in Comparator.check) ---


def _not_equal(v: Version, c: Comparator) -> bool:
    con = c.version
    if c.dirty:
        if con.major != v.major:
            return True
        if c.minor_dirty:
            return False
        if con.minor != v.minor:
            return True
        if con.patch != v.patch and not c.patch_dirty:
            return True
        if c.patch_dirty:
            if v.prerelease or con.prerelease:
                return compare_prerelease(v.prerelease, con.prerelease) != 0
            return False
    return v.compare(con) != 0


def _greater(v: Version, c: Comparator) -> bool:
    con = c.version
    if c.dirty:
        if v.major != con.major:
            return v.major > con.major
        if c.minor_dirty:
            return False  # `>11` needs 12 or higher
        if c.patch_dirty:
            return v.minor > con.minor  # `>11.1` needs 11.2 or higher
    return v.compare(con) > 0


def _less(v: Version, c: Comparator) -> bool:
    return v.compare(c.version) < 0


def _greater_equal(v: Version, c: Comparator) -> bool:
    return v.compare(c.version) >= 0


def _less_equal(v: Version, c: Comparator) -> bool:
    con = c.version
    if not c.dirty:
        return v.compare(con) <= 0
    if v.major > con.major:
        return False
    return not (v.major == con.major and v.minor > con.minor and not c.minor_dirty)


def _tilde(v: Version, c: Comparator) -> bool:
    con = c.version
    if v.compare(con) < 0:
        return False
    if (con.major, con.minor, con.patch) == (0, 0, 0) and not (c.minor_dirty or c.patch_dirty):
        return True  # `~0.0.0` and `~*` admit everything
    if v.major != con.major:
        return False
    return c.minor_dirty or v.minor == con.minor


def _tilde_or_equal(v: Version, c: Comparator) -> bool:
    if c.dirty:
        return _tilde(v, c)
    return v.compare(c.version) == 0


def _caret(v: Version, c: Comparator) -> bool:
    con = c.version
    if v.compare(con) < 0:
        return False
    if con.major > 0 or c.minor_dirty:
        return v.major == con.major
    if v.major > 0:
        return False
    if con.minor > 0 or c.patch_dirty:
        return v.minor == con.minor
    if v.minor > 0:
        return False
    return v.patch == con.patch


_CHECKS: dict[str, Callable[[Version, Comparator], bool]] = {
    "": _tilde_or_equal,
    "=": _tilde_or_equal,
    "!=": _not_equal,
    ">": _greater,
    "<": _less,
    ">=": _greater_equal,
    "=>": _greater_equal,
    "<=": _less_equal,
    "=<": _less_equal,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}
