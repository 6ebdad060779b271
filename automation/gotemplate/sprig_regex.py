"""Sprig's regex functions on RE2 (Go's regexp syntax), with Go's match and error rules."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import re2

from automation.gotemplate.gofmt import quote
from automation.gotemplate.values import FuncError, GoFunc, GoSlice, check_size

_S, _I = "string", "int"

_QUIET = re2.Options()
_QUIET.log_errors = False
# RE2's messages -> Go regexp/syntax ErrorCode text.
_RE2_TO_GO = {
    "missing )": "missing closing )",
    "missing ]": "missing closing ]",
    "unexpected )": "unexpected )",
    "no argument for repetition operator": "missing argument to repetition operator",
    "bad repetition operator": "invalid nested repetition operator",
    "invalid escape sequence": "invalid escape sequence",
    "invalid character class range": "invalid character class range",
    "invalid character class": "invalid character class",
    "trailing \\": "trailing backslash at end of expression",
    "invalid named capture group": "invalid named capture",
    "invalid repetition size": "invalid repeat count",
    "invalid perl operator": "invalid or unsupported Perl syntax",
}


def _go_regex_error(err: Exception) -> str:
    raw = err.args[0] if err.args else ""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    code, _, fragment = text.partition(": ")
    return f"error parsing regexp: {_RE2_TO_GO.get(code, code)}: `{fragment}`"


def _backquote(s: str) -> str:
    if "`" in s or any(c != "\t" and (ord(c) < 0x20 or ord(c) == 0x7F) for c in s):
        return quote(s)
    return "`" + s + "`"


def _compile(regex: str) -> Any:
    try:
        return re2.compile(regex, _QUIET)
    except re2.error as err:
        raise FuncError(f"regexp: Compile({_backquote(regex)}): {_go_regex_error(err)}") from None


def regex_match(regex: str, s: str) -> bool:
    try:
        return _compile(regex).search(s) is not None
    except FuncError:
        return False


def _go_matches(regex: str, s: str) -> Iterator[Any]:
    """Successive matches as Go's FindAll gives them: an empty match right after the
    previous match is ignored."""
    previous_end = -1
    for m in _compile(regex).finditer(s):
        if m.start() == m.end() == previous_end:
            continue
        previous_end = m.end()
        yield m


def regex_find_all(regex: str, s: str, n: int) -> GoSlice:
    found = [m.group(0) for m in _go_matches(regex, s)]
    return GoSlice(found if n < 0 else found[:n], "[]string")


def regex_find(regex: str, s: str) -> str:
    m = _compile(regex).search(s)
    return m.group(0) if m else ""


def expand(template: str, m: Any) -> str:
    """Go's Regexp.Expand: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``."""
    out, i = [], 0
    while i < len(template):
        c = template[i]
        if c != "$" or i + 1 >= len(template):
            out.append(c)
            i += 1
            continue
        if template[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        name, i = _group_name(template, i + 1)
        if name is None:
            out.append("$")
            continue
        out.append(_group(m, name))
    return "".join(out)


def _group_name(t: str, i: int) -> tuple[str | None, int]:
    brace = t[i] == "{"
    j = i + 1 if brace else i
    k = j
    while k < len(t) and (t[k].isalnum() or t[k] == "_"):
        k += 1
    if k == j or (brace and (k >= len(t) or t[k] != "}")):
        return None, i
    return t[j:k], k + 1 if brace else k


def _group(m: Any, name: str) -> str:
    try:
        value = m.group(int(name)) if name.isdigit() else m.group(name)
    except (IndexError, KeyError, re2.error):
        return ""
    return value or ""


def _bounded_sub(regex: str, s: str, replacement: Callable[[Any], str]) -> str:
    out: list[str] = []
    size, last = len(s), 0
    for m in _go_matches(regex, s):
        text = replacement(m)
        size += len(text)
        check_size(size)
        out += [s[last : m.start()], text]
        last = m.end()
    out.append(s[last:])
    return "".join(out)


def regex_replace_all(regex: str, s: str, repl: str) -> str:
    return _bounded_sub(regex, s, lambda m: expand(repl, m))


def regex_replace_literal(regex: str, s: str, repl: str) -> str:
    return _bounded_sub(regex, s, lambda _m: repl)


def regex_split(regex: str, s: str, n: int) -> GoSlice:
    if n == 0:
        return GoSlice([], "[]string")
    if regex and s == "":
        return GoSlice([""], "[]string")
    parts: list[str] = []
    beg = end = 0
    for m in _go_matches(regex, s):
        if n > 0 and len(parts) == n - 1:
            break
        end = m.start()
        if m.end() != 0:
            parts.append(s[beg:end])
        beg = m.end()
    if end != len(s):
        parts.append(s[beg:])
    return GoSlice(parts, "[]string")


REGEX_FUNCS: dict[str, GoFunc] = {
    "regexMatch": GoFunc(regex_match, (_S, _S)),
    "regexFindAll": GoFunc(regex_find_all, (_S, _S, _I)),
    "regexFind": GoFunc(regex_find, (_S, _S)),
    "regexReplaceAll": GoFunc(regex_replace_all, (_S, _S, _S)),
    "regexReplaceAllLiteral": GoFunc(regex_replace_literal, (_S, _S, _S)),
    "regexSplit": GoFunc(regex_split, (_S, _S, _I)),
    "regexQuoteMeta": GoFunc(lambda s: re2.escape(s), (_S,)),
}
