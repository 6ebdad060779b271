"""Locate marked scalars in plainly written YAML by reading its lines, without a parser.

In: the text of one YAML file. Out: the `LocatedFile` that `locate` would return, or None
when the text is not provably inside the subset below (the caller then parses it). The C
composer takes ~100 us for a 40-line Deployment; this takes ~35 us (~20 us for a small
values file), which is what brings a cold run near a warm one.

The subset, chosen so that line shapes plus indentation decide the parse:
- ASCII only, no TAB, no CR (so no BOM, no CRLF, no odd line breaks or control characters);
- every line is blank, a comment, `---`, or `<indent>[- ]*<key>:[ <value>]` or
  `<indent>- [- ]*<value>`, optionally followed by ` # comment` (`lineshape`): so no block
  scalars, anchors, tags, aliases, complex keys, directives, flow collections with content,
  and no scalar spans two lines;
- no key over 1000 characters (libyaml refuses simple keys over 1024), no 100 levels deep;
- indentation nests as a block-only parser requires (a value-ending line is never followed by
  a deeper one, which rules out plain-scalar continuation lines too);
- every `"$imagepolicy"` sits in a trailing comment of a content line, or in a comment line
  whose next line is no sequence item (so no marker-above-an-item is in play).
Anything else -> None. tests/manifests/test_outline.py compares the result with `locate` on
generated text, valid and not.
"""

from __future__ import annotations

import re

from automation.changeset import ObjectId
from automation.manifests.lineshape import DETAIL, SHAPES, TOKEN, split_entry, unquote, value_after
from automation.manifests.locate import Candidate, LocatedFile
from automation.manifests.nesting import MAX_DEPTH, too_large
from automation.manifests.setters import Style

_MAP, _SEQ, _META, _LOOSE_SEQ = 0, 1, 2, 3  # odd: a sequence; _LOOSE_SEQ: `key:\n- item`
_ROOT_FIELDS = ("apiVersion", "kind", "metadata")  # with `name`, `namespace`: what `ObjectId` reads
_MAX_KEY = 1000  # libyaml refuses a simple key longer than 1024 characters
_MAX_DEPTH = MAX_DEPTH  # deeper: `locate` reports it


class _Unsure(Exception):
    """The text leaves the subset: parse it instead."""


def locate_plain(text: str) -> LocatedFile | None:
    """`locate(text)` for plainly written YAML, None when the text is not provably plain."""
    if not text.isascii() or "\t" in text or "\r" in text or too_large(len(text)):
        return None
    if SHAPES.fullmatch(text.encode("ascii")) is None:
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
        self.document = 0
        self.opened = False  # by a `---` or by content
        self.fields: dict[str, str] = {}  # scalar fields of the root mapping
        self.meta: dict[str, str] = {}  # ... and of the mapping under its first `metadata`
        self.meta_seen = False
        self.root_seen = False
        self.pending: _Pending | None = None

    def read(self) -> LocatedFile:
        # The hot loop of a cold run (~0.8 us a line): flat, with the rare cases in methods.
        stack = self.stack
        details = self.details
        for number, line in enumerate(self.lines):
            body = line.lstrip(" ")
            if not body:
                continue
            head = body[0]
            if head == "#":
                continue
            column = len(line) - len(body)
            rest, dashes = body, 0
            if head == "-" and body[1:2] == " ":
                rest = body[1:].lstrip(" ")
                dashes = len(body) - len(rest)
            elif not column and (head == "-" or head == ".") and body[1:3] in ("--", ".."):
                self.document_marker(body)
                continue
            pending = self.pending
            if pending is not None and (
                column > pending[1] or (column == pending[1] and dashes)
            ):  # the line opens the value of the pending key
                self.pending = None
                kind = _SEQ if dashes else _META if pending[5] else _MAP
                stack.append((column, _LOOSE_SEQ if column == pending[1] else kind))
            else:
                if pending is not None:  # the pending key's value is null
                    self.pending = None
                    if pending[3] or pending[4] or pending[0] in details:
                        self.null_value(pending)
                while stack and stack[-1][0] > column:
                    stack.pop()
                top_column, top_kind = stack[-1] if stack else (-1, 0)
                if top_column != column or (top_kind & 1) != (dashes > 0):
                    self.unwind(column, dashes)
            first = rest[0]
            if first == "-" and rest[1:2] == " ":
                rest = self.nested_dashes(column, body)
                dashes = len(body) - len(rest)
                first = rest[0]
            colon = -1 if first in "\"'{[" else rest.find(": ")
            if colon < 0 and rest[-1] == ":" and first not in "\"'{[" and " #" not in rest:
                colon = len(rest) - 1  # `key:`, the commonest pending key
            elif colon < 0 or rest.find(" #", 0, colon) > -1:
                self.entry(number, column + dashes, dashes, *split_entry(rest))
                continue
            if colon > _MAX_KEY or len(stack) > _MAX_DEPTH:
                raise _Unsure
            if dashes:
                stack.append((column + dashes, _MAP))
            if (
                number in details
                or (len(stack) == 1 and rest.startswith(_ROOT_FIELDS))
                or (stack[-1][1] == _META and rest.startswith("name"))
            ):  # a marked line, or one that may name the document
                value = value_after(rest, colon + 1)
                self.entry(number, column + dashes, -1, rest[:colon], value)
            else:
                after = rest[colon + 2 : colon + 3]
                if not after or (after in " #" and value_after(rest, colon + 1) is None):
                    self.pending = (number, column + dashes, "", False, False, False)
        self.end_document()
        return LocatedFile(tuple(self.objects), tuple(self.candidates))

    def document_marker(self, body: str) -> None:
        if body != "---":
            raise _Unsure  # `--- x`, `...`: markers with more on the line
        if self.opened:
            self.end_document()
            self.document += 1
        self.opened = True

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
            self.root_seen = self.opened = True
            stack.append((column, _SEQ if dashes else _MAP))  # the document's root
            return
        if not stack or stack[-1][0] != column or (stack[-1][1] & 1) != (dashes > 0):
            raise _Unsure

    def entry(
        self, number: int, column: int, dashes: int, key: str | None, value: str | None
    ) -> None:
        """A line's entry: `key:`, `key: value` or (after a dash) a value alone. `dashes` is
        -1 when the caller has already opened the key's mapping."""
        if key is None:
            if dashes <= 0 or value is None:
                raise _Unsure  # a bare scalar line: a scalar document or a continuation
            if number in self.details and value not in ("{}", "[]"):
                self.candidate(number, "item")
            return
        if dashes > 0:
            self.push(column, _MAP)
        if len(key) > _MAX_KEY:
            raise _Unsure
        stack = self.stack
        in_root = len(stack) == 1
        in_meta = stack[-1][1] == _META
        name = unquote(key)
        first_meta = in_root and name == "metadata" and not self.meta_seen
        self.meta_seen = self.meta_seen or first_meta
        if value is None:
            self.pending = (number, column, name, in_root, in_meta, first_meta)
        elif value not in ("{}", "[]"):
            self.field(name, unquote(value), in_root, in_meta)
            if number in self.details:
                self.candidate(number, "value")

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
                unquote(scalar),
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
        if self.opened:
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
        number, last, position = 0, 0, text.find(TOKEN)
        while position != -1:
            number += text.count("\n", last, position)
            last = position
            position = text.find(TOKEN, position + 1)
            if number in details:
                continue
            body = lines[number].lstrip(" ")
            if body.startswith("#"):
                following = lines[number + 1].lstrip(" ") if number + 1 < len(lines) else ""
                if following.startswith("-"):
                    raise _Unsure
                continue
            start = text.rfind("\n", 0, last) + 1
            match = DETAIL.fullmatch(text, start, start + len(lines[number]))
            if match is None or any(
                TOKEN in (match[group] or "") for group in ("key", "value", "item")
            ):
                raise _Unsure
            details[number] = match
        return details
