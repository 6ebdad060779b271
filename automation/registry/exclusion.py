"""The `exclusionList` filter: drop every tag that any pattern matches (RE2, unanchored).

In: an ImageRepository's patterns (empty means Flux's default, `^.*\\.sig$`). Out: an
`ExclusionList` whose `apply` keeps the tags no pattern matches, exactly as one RE2 search
per pattern would (Flux: image-reflector-controller, `internal/registry/helper.go`
`FilterTags`).

A scan filters every tag of every repository, so the per-tag cost counts: one RE2 call per
tag per pattern through the Python binding costs more than the rest of the filtering. So a
pattern that is plain text between optional anchors and `.*` (`^.*\\.sig$`, `-rc`,
`^sha256-`) becomes a `str` check (`endswith`, `startswith`, `in`, `==`), and the other
patterns are compiled together into one RE2 set, searched once per tag. Both agree with RE2
on any text without a newline (RE2's `.` does not match `\\n`); text with one, which no
valid tag has, goes through the patterns one by one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import re2

from automation.errors import StalledError

DEFAULT_EXCLUSION_LIST = ("^.*\\.sig$",)

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print parse errors on stderr; we raise instead

# Outside a character class RE2 (like Go's regexp/syntax) takes these as operators; every
# other printable ASCII character stands for itself, and a backslash before printable
# non-alphanumeric ASCII makes it literal (RE2 `parse.cc`, Go `regexp/syntax/parse.go`).
_META = frozenset("\\.+*?()|[]{}^$")
_PRINTABLE = frozenset(chr(c) for c in range(0x20, 0x7F))
_ESCAPABLE = frozenset(c for c in _PRINTABLE if not c.isalnum())


class InvalidExclusionError(StalledError):
    """An `exclusionList` entry is not a valid RE2 expression."""


@dataclass(frozen=True, slots=True)
class Literal:
    """A pattern that is plain text: where it must sit in the tag."""

    text: str
    at_start: bool
    at_end: bool


def literal_form(pattern: str) -> Literal | None:
    """`pattern` as plain text with anchors, or None when it is a real regular expression.

    Recognised: `[^][.*]TEXT[.*][$]` where TEXT has no operator (escaped ones are text).
    On text without a newline `.*` matches anything, so it cancels the anchor beside it.
    """
    tokens: list[tuple[bool, str]] = []  # (is operator, character)
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            escaped = next(chars, "")
            if escaped not in _ESCAPABLE:
                return None
            tokens.append((False, escaped))
        elif char in _META:
            tokens.append((True, char))
        elif char in _PRINTABLE:
            tokens.append((False, char))
        else:
            return None
    at_start = tokens[:1] == [(True, "^")]
    del tokens[: int(at_start)]
    if tokens[:2] == [(True, "."), (True, "*")]:
        at_start = False
        del tokens[:2]
    at_end = tokens[-1:] == [(True, "$")]
    del tokens[len(tokens) - int(at_end) :]
    if tokens[-2:] == [(True, "."), (True, "*")]:
        at_end = False
        del tokens[-2:]
    if any(operator for operator, _ in tokens):
        return None
    return Literal("".join(char for _, char in tokens), at_start, at_end)


class ExclusionList:
    """Tags matching any pattern (unanchored search) are dropped; empty means the default."""

    def __init__(self, patterns: Sequence[str] = ()) -> None:
        self.patterns = tuple(patterns) or DEFAULT_EXCLUSION_LIST
        self._compiled = [_compile(p) for p in self.patterns]  # also the check: RE2 takes it
        self._equal: set[str] = set()
        prefixes: list[str] = []
        suffixes: list[str] = []
        self._parts: list[str] = []
        rest: list[str] = []
        for pattern in self.patterns:
            literal = literal_form(pattern)
            if literal is None:
                rest.append(pattern)
            elif literal.at_start and literal.at_end:
                self._equal.add(literal.text)
            elif literal.at_start:
                prefixes.append(literal.text)
            elif literal.at_end:
                suffixes.append(literal.text)
            else:
                self._parts.append(literal.text)
        self._prefixes = tuple(prefixes)
        self._suffixes = tuple(suffixes)
        self._set = _compile_set(rest) if rest else None

    def excludes(self, tag: str) -> bool:
        return not self.apply([tag])

    def apply(self, tags: Iterable[str]) -> list[str]:
        """The tags no pattern matches, in order: one pass per kind of check over the list,
        so the common lists (a suffix or two) cost one C-level comprehension."""
        kept = list(tags)
        if any("\n" in tag for tag in kept):
            return [tag for tag in kept if not any(r.search(tag) for r in self._compiled)]
        if self._equal:
            kept = [tag for tag in kept if tag not in self._equal]
        if self._suffixes:
            kept = [tag for tag in kept if not tag.endswith(self._suffixes)]
        if self._prefixes:
            kept = [tag for tag in kept if not tag.startswith(self._prefixes)]
        for part in self._parts:
            kept = [tag for tag in kept if part not in tag]
        if self._set is not None:
            kept = [tag for tag in kept if self._set.Match(tag) is None]
        return kept


@functools.lru_cache(maxsize=256)
def compiled_exclusions(patterns: tuple[str, ...]) -> ExclusionList:
    """The compiled list for `patterns`, shared by every repository that uses the same."""
    return ExclusionList(patterns)


def _compile(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as err:
        reason = err.args[0] if err.args else err
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise InvalidExclusionError(
            f"exclusionList: invalid regular expression {pattern!r}: {reason}"
        ) from err


def _compile_set(patterns: Sequence[str]) -> Any:
    regexes = re2.Set.SearchSet(_OPTIONS)
    for pattern in patterns:
        regexes.Add(pattern)
    regexes.Compile()
    return regexes
