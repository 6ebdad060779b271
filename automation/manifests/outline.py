"""Locate marked scalars in plainly written YAML by reading its lines, without a parser.

In: the text of one YAML file. Out: the `LocatedFile` that `locate` would return, or None
when the text is not provably inside the subset below (the caller then parses it). Parsing
costs ~100 us per typical manifest; this costs a few, which is what lets a cold run cost
little more than reading the files.

The subset, chosen so that line shapes plus indentation decide the parse:
- ASCII only, no TAB, no CR (so no BOM, no CRLF, no odd line breaks or control characters);
- every line is blank, a comment, `---`, or `<indent>[- ]*<key>:[ <value>]` or
  `<indent>- [- ]*<value>`, optionally followed by ` # comment`;
- a key is a one-line plain scalar or a quoted scalar without escapes; a value is that, or
  exactly `{}` / `[]`: so no block scalars, anchors, tags, aliases, complex keys,
  directives, flow collections with content, and no scalar spans two lines;
- indentation nests as a block-only parser requires (a value-ending line is never followed by
  a deeper one, which rules out plain-scalar continuation lines too);
- every `"$imagepolicy"` sits in a trailing comment of a content line, or in a comment line
  whose next line is no sequence item (so no marker-above-an-item is in play).
Anything else -> None. The property test compares the result with `locate` on generated text.
"""

from __future__ import annotations

import re

from automation.manifests.changeset import ObjectId
from automation.manifests.locate import Candidate, LocatedFile
from automation.manifests.setters import Style

_TOKEN = '"$imagepolicy"'
_C = r"[!-9;-~]"  # a printable non-space character other than `:`
_PLAIN = (  # one line; a `:` only before a non-space; no ` #`; no indicator first
    rf"(?:[A-Za-z0-9_./+~=(^$]|-(?=[!-~])){_C}*(?::+{_C}+)*"
    rf"(?: +(?:[!\"$-9;-~]|:+{_C}){_C}*(?::+{_C}+)*)*"
)
_DOUBLE = r'"[ !#-\[\]-~]*"'  # no `\`: no escapes
_SINGLE = r"'(?:[ -&(-~]|'')*'"
_SCALAR = rf"(?:{_PLAIN}|{_DOUBLE}|{_SINGLE})"
_VALUE = rf"(?:{_SCALAR}|\{{\}}|\[\])"
_TAIL = r"(?: +#[ -~]*| *)"
_CONTENT = rf" *(?:- +)*(?:{_SCALAR}:(?: +{_VALUE})?|{_VALUE}){_TAIL}"
_ANY_LINE = rf"(?:---|(?!---|\.\.\.){_CONTENT}| *#[ -~]*| *)"
_SHAPES = re.compile(rf"(?:{_ANY_LINE}\n)*{_ANY_LINE}")
_DETAIL = re.compile(
    rf" *(?:- +)*(?:(?P<key>{_SCALAR}):(?: +(?P<value>{_VALUE}))?|(?P<item>{_VALUE}))"
    rf"(?P<tail>{_TAIL})"
)
_MAP, _SEQ, _META, _LOOSE_SEQ = 0, 1, 2, 3  # odd: a sequence; _LOOSE_SEQ: `key:\n- item`
_MAX_KEY = 1000  # libyaml refuses a simple key longer than 1024 characters
_MAX_DEPTH = 200


class _Unsure(Exception):
    """The text leaves the subset: parse it instead."""


def locate_plain(text: str) -> LocatedFile | None:
    """`locate(text)` for plainly written YAML, None when the text is not provably plain."""
    if not text.isascii() or "\t" in text or "\r" in text or _SHAPES.fullmatch(text) is None:
        return None
    try:
        return _Reader(text).read()
    except _Unsure:
        return None


# A key whose value is not known yet: its line, the column of its mapping, its name, and
# whether it is a field of the root mapping / of the metadata mapping / the first `metadata`.
_Pending = tuple[int, int, str, bool, bool, bool]


class _Reader:
    """One pass over the lines (every line's shape already checked), keeping the stack of
    open block collections as a parser would."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.split("\n")
        self.details = self.marked_lines()
        self.stack: list[tuple[int, int]] = []  # (column, kind) of the open collections
        self.objects: list[ObjectId] = []
        self.candidates: list[Candidate] = []
        self.document = -1
        self.fields: dict[str, str] = {}  # scalar fields of the root mapping
        self.meta: dict[str, str] = {}  # ... and of the mapping under its first `metadata`
        self.meta_seen = False
        self.root_seen = False
        self.pending: _Pending | None = None

    def read(self) -> LocatedFile:
        # The hot loop of a cold run: kept flat, the rare cases in methods.
        stack = self.stack
        for number, line in enumerate(self.lines):
            body = line.lstrip(" ")
            if not body or body[0] == "#":
                continue
            column = len(line) - len(body)
            if body == "---" and not column:
                self.end_document()
                self.document += 1
                continue
            if self.document < 0:
                self.document = 0
            dashes = 0
            if body[0] == "-" and body[1:2] == " ":
                rest = body[1:].lstrip(" ")
                dashes = len(body) - len(rest)
                if rest[0] == "-" and rest[1:2] == " ":
                    rest = self.nested_dashes(column, body)
                    dashes = len(body) - len(rest)
            else:
                rest = body
            if self.pending is None or not self.nests(column, dashes):
                while stack and stack[-1][0] > column:
                    stack.pop()
                if not stack or stack[-1][0] != column or (stack[-1][1] & 1) != (dashes > 0):
                    self.unwind(column, dashes)
            self.content(number, column + dashes, dashes, rest)
        self.end_document()
        return LocatedFile(tuple(self.objects), tuple(self.candidates))

    def nested_dashes(self, column: int, body: str) -> str:
        """`- - item`: every dash after the first opens a sequence."""
        rest = body
        while rest[0] == "-" and rest[1:2] == " ":
            offset = len(body) - len(rest)
            if offset:
                self.push(column + offset, _SEQ)
            rest = rest[1:].lstrip(" ")
        return rest

    def unwind(self, column: int, dashes: int) -> None:
        """A line that does not simply continue the innermost collection."""
        stack = self.stack
        if stack and not dashes and stack[-1] == (column, _LOOSE_SEQ):
            stack.pop()  # a key at the column of a loose sequence ends it
        if not stack and not self.root_seen:
            self.root_seen = True
            stack.append((column, _SEQ if dashes else _MAP))  # the document's root
            return
        if not stack or stack[-1][0] != column or (stack[-1][1] & 1) != (dashes > 0):
            raise _Unsure

    def content(self, number: int, column: int, dashes: int, rest: str) -> None:
        """What follows the dashes: `key:`, `key: value` or (after a dash) a value."""
        key, value = _split_entry(rest)
        if key is None:
            if not dashes:
                raise _Unsure  # a bare scalar line: a scalar document or a continuation
            if number in self.details and value not in ("{}", "[]"):
                self.candidate(number, "item")
            return
        if len(key) > _MAX_KEY:
            raise _Unsure
        if dashes:
            self.push(column, _MAP)
        stack = self.stack
        in_root = len(stack) == 1
        in_meta = stack[-1][1] == _META
        if not (in_root or in_meta or number in self.details):
            if value is None:
                self.pending = (number, column, "", False, False, False)
            return
        name = _unquote(key)
        first_meta = in_root and name == "metadata" and not self.meta_seen
        self.meta_seen = self.meta_seen or first_meta
        if value is None:
            self.pending = (number, column, name, in_root, in_meta, first_meta)
        elif value not in ("{}", "[]"):
            self.field(name, _unquote(value), in_root, in_meta)
            if number in self.details:
                self.candidate(number, "value")

    def nests(self, column: int, dashes: int) -> bool:
        """Whether this line opens the value of the pending key (else that value is null)."""
        pending = self.pending
        assert pending is not None
        self.pending = None
        key_column, first_meta = pending[1], pending[5]
        if column == key_column and dashes:
            self.push(column, _LOOSE_SEQ)  # `key:` then `- item` at the key's column
            return True
        if column > key_column:
            self.push(column, _SEQ if dashes else _META if first_meta else _MAP)
            return True
        self.null_value(pending)
        return False

    def push(self, column: int, kind: int) -> None:
        if len(self.stack) >= _MAX_DEPTH:
            raise _Unsure
        self.stack.append((column, kind))

    def field(self, name: str, value: str, in_root: bool, in_meta: bool) -> None:
        if in_root:
            self.fields.setdefault(name, value)
        elif in_meta:
            self.meta.setdefault(name, value)

    def null_value(self, pending: _Pending) -> None:
        number, _, name, in_root, in_meta, _ = pending
        self.field(name, "", in_root, in_meta)
        if number in self.details:
            self.candidate(number, "key")

    def candidate(self, number: int, group: str) -> None:
        match = self.details[number]
        comment = match["tail"].strip()
        if group == "key":  # `key: # marker` with a null value: insert after the colon
            point = match.end("key") + 1
            self.candidates.append(
                Candidate(
                    point,
                    point,
                    "",
                    "plain",
                    False,
                    number + 1,
                    comment,
                    self.document,
                    insert=True,
                )
            )
            return
        scalar = match[group]
        style: Style = "double" if scalar[0] == '"' else "single" if scalar[0] == "'" else "plain"
        self.candidates.append(
            Candidate(
                match.start(group),
                match.end(group),
                _unquote(scalar),
                style,
                False,
                number + 1,
                comment,
                self.document,
            )
        )

    def end_document(self) -> None:
        if self.pending is not None:
            self.null_value(self.pending)
            self.pending = None
        if self.document >= 0:
            root = self.stack[0][1] if self.stack else _SEQ
            fields, meta = self.fields, self.meta
            self.objects.append(
                ObjectId(
                    fields.get("apiVersion", ""),
                    fields.get("kind", ""),
                    meta.get("namespace", ""),
                    meta.get("name", ""),
                )
                if root == _MAP
                else ObjectId()
            )
        self.stack.clear()
        self.root_seen = False
        self.fields = {}
        self.meta = {}
        self.meta_seen = False

    def marked_lines(self) -> dict[int, re.Match[str]]:
        """Each content line holding the token, matched in detail. A marker must sit in the
        trailing comment; a marked comment line must not stand above a sequence item."""
        text, lines = self.text, self.lines
        details: dict[int, re.Match[str]] = {}
        number, last, position = 0, 0, text.find(_TOKEN)
        while position != -1:
            number += text.count("\n", last, position)
            last = position
            position = text.find(_TOKEN, position + 1)
            if number in details:
                continue
            body = lines[number].lstrip(" ")
            if body.startswith("#"):
                following = lines[number + 1].lstrip(" ") if number + 1 < len(lines) else ""
                if following.startswith("-"):
                    raise _Unsure
                continue
            start = text.rfind("\n", 0, last) + 1
            match = _DETAIL.fullmatch(text, start, start + len(lines[number]))
            if match is None or any(
                _TOKEN in (match[group] or "") for group in ("key", "value", "item")
            ):
                raise _Unsure
            details[number] = match
        return details


def _split_entry(rest: str) -> tuple[str | None, str | None]:
    """(key, value) of `key: value` / `key:` (value None), or (None, value) for a value alone.
    The text's shape is already checked: a plain scalar holds no `: ` and no ` #`."""
    first = rest[0]
    if first == '"' or first == "'":
        end = _quote_end(rest)
        if rest[end : end + 1] != ":":
            return None, rest[:end]
        return rest[:end], _value_after(rest, end + 1)
    if first == "{" or first == "[":
        return None, rest[:2]
    colon = rest.find(": ")
    comment = rest.find(" #")
    if colon >= 0 and (comment < 0 or colon < comment):
        return rest[:colon], _value_after(rest, colon + 1)
    head = rest if comment < 0 else rest[:comment]
    head = head.rstrip(" ")
    if head.endswith(":"):
        return head[:-1], None
    return None, head


def _value_after(rest: str, start: int) -> str | None:
    value = rest[start:].lstrip(" ")
    if not value or value[0] == "#":
        return None
    first = value[0]
    if first == '"' or first == "'":
        return value[: _quote_end(value)]
    comment = value.find(" #")
    return (value if comment < 0 else value[:comment]).rstrip(" ")


def _quote_end(scalar: str) -> int:
    """The index after the closing quote of a one-line quoted scalar (no escapes but `''`)."""
    quote = scalar[0]
    end = scalar.find(quote, 1)
    while quote == "'" and scalar[end + 1 : end + 2] == "'":
        end = scalar.find(quote, end + 2)
    return end + 1


def _unquote(scalar: str) -> str:
    if scalar[0] == '"':
        return scalar[1:-1]
    if scalar[0] == "'":
        return scalar[1:-1].replace("''", "'")
    return scalar
