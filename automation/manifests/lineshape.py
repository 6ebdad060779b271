"""The shapes of plainly written YAML lines, and how to take such a line apart.

In: lines (or a whole file) of YAML text. Out: whether every line has one of the shapes
`outline` reads (`SHAPES`, on the ASCII bytes), the parts of one line (`DETAIL`), and the
key and value of a line already known to have a shape (`split_entry`). Pure.

A plain scalar here is one line with no `: `, no ` #`, no trailing `:` and no indicator as
its first character; a quoted one has no escapes (but `''`) and ends on its line; a value may
also be exactly `{}` or `[]`. Nothing else (anchors, tags, aliases, block scalars, flow
collections with content, complex keys, directives) has a shape.
"""

from __future__ import annotations

import re

import re2

TOKEN = '"$imagepolicy"'
# The shapes, without look-arounds (RE2 has none): RE2 checks a whole file in ~2 us where
# Python's `re` takes ~10.
_C = r"[!-9;-~]"  # a printable non-space character other than `:`
_WORD = rf"{_C}*(?::+{_C}+)*"  # a `:` only before a non-space
_PLAIN = (  # one line; no `: `, no ` #`; no indicator first (`-` only before a non-space)
    rf"(?:[A-Za-z0-9_./+~=(^$]|-{_C}|-:+{_C}){_WORD}(?: +(?:[!\"$-9;-~]|:+{_C}){_WORD})*"
)
_DOUBLE = r'"[ !#-\[\]-~]*"'  # no `\`: no escapes
_SINGLE = r"'(?:[ -&(-~]|'')*'"
_SCALAR = rf"(?:{_PLAIN}|{_DOUBLE}|{_SINGLE})"
_VALUE = rf"(?:{_SCALAR}|\{{\}}|\[\])"
_TAIL = r"(?: +#[ -~]*| *)"
_CONTENT = rf" *(?:- +)*(?:{_SCALAR}:(?: +{_VALUE})?|{_VALUE}){_TAIL}"
_ANY_LINE = rf"(?:{_CONTENT}| *#[ -~]*| *)"  # `---` is a plain scalar to this pattern
SHAPES = re2.compile(rf"(?:{_ANY_LINE}\n)*{_ANY_LINE}".encode())
DETAIL = re.compile(
    rf" *(?:- +)*(?:(?P<key>{_SCALAR}):(?: +(?P<value>{_VALUE}))?|(?P<item>{_VALUE}))"
    rf"(?P<tail>{_TAIL})"
)


def split_entry(rest: str) -> tuple[str | None, str | None]:
    """(key, value) of `key: value` / `key:` (value None), or (None, value) for a value alone.
    The text's shape is already checked: a plain scalar holds no `: ` and no ` #`."""
    first = rest[0]
    if first == '"' or first == "'":
        end = quote_end(rest)
        if rest[end : end + 1] != ":":
            return None, rest[:end]
        return rest[:end], value_after(rest, end + 1)
    if first == "{" or first == "[":
        return None, rest[:2]
    colon = rest.find(": ")
    comment = rest.find(" #")
    if colon >= 0 and (comment < 0 or colon < comment):
        return rest[:colon], value_after(rest, colon + 1)
    head = rest if comment < 0 else rest[:comment]
    head = head.rstrip(" ")
    if head.endswith(":"):
        return head[:-1], None
    return None, head


def value_after(rest: str, start: int) -> str | None:
    value = rest[start:].lstrip(" ")
    if not value or value[0] == "#":
        return None
    first = value[0]
    if first == '"' or first == "'":
        return value[: quote_end(value)]
    comment = value.find(" #")
    return (value if comment < 0 else value[:comment]).rstrip(" ")


def quote_end(scalar: str) -> int:
    """The index after the closing quote of a one-line quoted scalar (no escapes but `''`)."""
    quote = scalar[0]
    end = scalar.find(quote, 1)
    while quote == "'" and scalar[end + 1 : end + 2] == "'":
        end = scalar.find(quote, end + 2)
    return end + 1


def unquote(scalar: str) -> str:
    if scalar[0] == '"':
        return scalar[1:-1]
    if scalar[0] == "'":
        return scalar[1:-1].replace("''", "'")
    return scalar
