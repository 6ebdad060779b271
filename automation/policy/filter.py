"""User regexes: `filterTags` (pattern + extract) and ImageRepository `exclusionList`.

In:  a pattern (Go RE2 syntax) and tags. Out: the tags that match, and for `filterTags`
     what `extract` makes of each match.

Patterns run on RE2 (google-re2), the engine family Go's `regexp` belongs to: linear time,
so a hostile pattern such as `(a+)+$` cannot hang a reconcile; look-around and
back-references are rejected at compile time. A pattern is *searched* in the tag (it
matches anywhere unless the user anchors it with `^...$`).

`extract` follows Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`; a name is as long
as possible (`$1x` is the group named `1x`, hence empty); `$$` is a literal `$`; an unknown
or unmatched group expands to nothing; a malformed `$` is kept as text.

Ties (Flux `RegexFilter`): the result maps extracted value -> original tag, and a tag later
in the input overwrites an earlier one with the same value; with Flux's descending input,
the byte-wise smallest original tag wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import re2

from automation.errors import PolicyError

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print parse errors on stderr; we raise instead
_MAX_GROUP_DIGITS = 9  # Go stops at num >= 1e8 before the next digit


class InvalidPatternError(PolicyError):
    """A user regex does not compile under RE2 (Go) syntax."""

    def __init__(self, pattern: str, where: str, reason: str) -> None:
        self.pattern = pattern
        hint = ""
        if "(?=" in pattern or "(?!" in pattern or "(?<=" in pattern or "(?<!" in pattern:
            hint = " (RE2/Go syntax has no look-around)"
        super().__init__(
            f"invalid regular expression pattern '{pattern}' in {where}: {reason}{hint}"
        )


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled user regex."""

    source: str
    regex: Any = field(repr=False, compare=False)

    def search(self, text: str) -> Any:
        """The first (leftmost) match in `text`, or None (also for text RE2 cannot encode)."""
        try:
            return self.regex.search(text)
        except UnicodeEncodeError:  # a lone surrogate: not a valid OCI tag, never a match
            return None

    def expand(self, template: str, match: Any) -> str:
        """Go `Regexp.Expand` of `template` against `match`."""
        return expand(template, match, self.regex.groupindex, self.regex.groups)


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str, where: str = "filterTags.pattern") -> Pattern:
    """Compile with RE2; raise `InvalidPatternError` (a PolicyError) naming the pattern."""
    try:
        return Pattern(pattern, re2.compile(pattern, _OPTIONS))
    except UnicodeEncodeError:
        raise InvalidPatternError(pattern, where, "not valid UTF-8") from None
    except re2.error as err:
        reason = err.args[0] if err.args else "invalid pattern"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise InvalidPatternError(pattern, where, str(reason)) from None


def _name_end(text: str) -> int:
    end = 0
    while end < len(text) and (text[end].isalpha() or text[end].isdecimal() or text[end] == "_"):
        end += 1
    return end


def _group_reference(text: str) -> tuple[str, int, str] | None:
    """Go's `extract`: (name, number or -1, rest of template) or None when malformed."""
    brace = text.startswith("{")
    body = text[1:] if brace else text
    end = _name_end(body)
    if end == 0:
        return None
    name = body[:end]
    if brace:
        if end >= len(body) or body[end] != "}":
            return None
        end += 1
    number = -1
    if name.isascii() and name.isdigit() and not (len(name) > 1 and name[0] == "0"):
        number = int(name) if len(name) <= _MAX_GROUP_DIGITS else -1
    return name, number, body[end:]


def _group_text(match: Any, index: int, groups: int) -> str:
    if index > groups:
        return ""
    value = match.group(index)
    return value if isinstance(value, str) else ""


def expand(template: str, match: Any, names: dict[str, int], groups: int) -> str:
    """Go `Regexp.Expand` semantics over an RE2 match."""
    out: list[str] = []
    rest = template
    while True:
        before, dollar, after = rest.partition("$")
        out.append(before)
        if not dollar:
            return "".join(out)
        if after.startswith("$"):
            out.append("$")
            rest = after[1:]
            continue
        reference = _group_reference(after)
        if reference is None:
            out.append("$")
            rest = after
            continue
        name, number, rest = reference
        if number >= 0:
            out.append(_group_text(match, number, groups))
        elif name in names:
            out.append(_group_text(match, names[name], groups))


@dataclass(frozen=True, slots=True)
class TagFilter:
    """`filterTags` as plain values: empty pattern matches all; empty extract keeps the tag."""

    pattern: str = ""
    extract: str = ""


@dataclass(frozen=True, slots=True)
class FilterResult:
    """Outcome of a filter over tags (input order kept in `matched`)."""

    values: dict[str, str]  # extracted value -> original tag (later input wins)
    matched: tuple[tuple[str, str], ...]  # (tag, extracted value) for every matching tag
    unmatched: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CompiledFilter:
    spec: TagFilter
    pattern: Pattern

    def apply(self, tags: Iterable[str]) -> FilterResult:
        values: dict[str, str] = {}
        matched: list[tuple[str, str]] = []
        unmatched: list[str] = []
        for tag in tags:
            m = self.pattern.search(tag)
            if m is None:
                unmatched.append(tag)
                continue
            value = self.pattern.expand(self.spec.extract, m) if self.spec.extract else tag
            values[value] = tag
            matched.append((tag, value))
        return FilterResult(values, tuple(matched), tuple(unmatched))


def compile_filter(spec: TagFilter) -> CompiledFilter:
    return CompiledFilter(spec, compile_pattern(spec.pattern, "filterTags.pattern"))


def exclude_tags(tags: Iterable[str], patterns: Sequence[str]) -> list[str]:
    """ImageRepository `exclusionList`: drop every tag that any pattern matches (searched)."""
    compiled = [compile_pattern(p, "exclusionList") for p in patterns]
    return [t for t in tags if not any(c.search(t) is not None for c in compiled)]
