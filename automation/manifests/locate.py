"""Find the scalars a marker comment points at, with their exact character spans.

In: the text of one YAML file. Out: the identity of each document and a `Candidate` for every
scalar value carrying a comment that mentions `"$imagepolicy"`: its span in the text, style,
current value and the comment. The parser is used only to locate; nothing is re-serialised.

A marker counts when it is (Flux's comment attachment, scalar values only):
- the comment on the same line right after a scalar value (mapping value or sequence item), or
- for a block-sequence item without a comment of its own, a comment alone on the line above.
Markers in block scalars, on mapping keys or after a flow collection are never seen here.

ruamel's C composer (ruamel.yaml.clib) is ~12x faster than the pure one and gives the same
marks, except that it does not count a leading BOM; the BOM is therefore always stripped before
parsing and added back to every offset. The pure scanner rejects a TAB right after a value
(`v\t# c`), so for it such TABs are masked with spaces (same length, same marks).
"""

from __future__ import annotations

import bisect
import importlib.util
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from automation.changeset import ObjectId
from automation.manifests.nesting import MAX_DEPTH, may_nest, text_problem, tree_depth_exceeds
from automation.manifests.setters import Style

_local = threading.local()

# The C extension is optional at runtime (declared as a dependency for its speed).
HAVE_C_COMPOSER = importlib.util.find_spec("_ruamel_yaml") is not None
if HAVE_C_COMPOSER:
    from ruamel.yaml.cyaml import CBaseLoader

_TOKEN = '"$imagepolicy"'
_LINE_TAIL = re.compile(r"(?:[ \t]*,)?[ \t]+(#[^\r\n]*)")
_COMMENT_LINE = re.compile(r"[ \t]*(#[^\r\n]*)")
NODE_PROPERTIES = re.compile(r"(?:[&!][^ \t\r\n]*[ \t]+)*")
_EMPTY_VALUE = re.compile(r"[ \t]*:(?=[ \t]+#)")
_PURE_TABS = re.compile(r"\t(?=[ \t]*(?:#|\r|\n|$))|(?<=:)\t")
SCALAR_STYLES: dict[str | None, Style] = {None: "plain", "": "plain", "'": "single", '"': "double"}


class YamlSyntaxError(Exception):
    """The text does not parse. `line` is 1-based, or None when the parser gave no position."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A scalar value with a `$imagepolicy` comment. Replace `text[start:end]` to set it.

    For an empty value (`key: # {...}`) start == end is the point right after the colon and
    the new text must be preceded by a space (`insert`).
    """

    start: int
    end: int
    value: str
    style: Style
    tagged: bool
    line: int
    comment: str
    document: int
    flow: bool = False  # inside a flow collection: `,[]{}:#` need quotes there
    insert: bool = False


@dataclass(frozen=True, slots=True)
class LocatedFile:
    objects: tuple[ObjectId, ...]  # one per document, in order
    candidates: tuple[Candidate, ...]  # in document order


def locate(text: str, *, pure: bool = not HAVE_C_COMPOSER) -> LocatedFile:
    """Compose every document of `text` and collect the marked scalar values.

    Raises YamlSyntaxError.
    """
    offset, roots = compose_roots(text, pure=pure)
    objects: list[ObjectId] = []
    candidates: list[Candidate] = []
    lines = marker_lines(text)
    for index, root in enumerate(roots):
        objects.append(object_id(root))
        candidates.extend(_Finder(text, offset, index, lines).scan(root))
    return LocatedFile(tuple(objects), tuple(candidates))


def compose_roots(text: str, *, pure: bool = not HAVE_C_COMPOSER) -> tuple[int, list[Node | None]]:
    """The offset of the text after a UTF-8 BOM, and every document root (marks relative to
    that offset: the C loader does not count a BOM).

    With the C composer, a text it rejects is tried again with the pure one: the bundled
    libyaml refuses some valid YAML 1.2 (`[a:b]`, a `:` in a plain scalar in a flow
    collection) that ruamel's own scanner reads. The pure scanner rejects a TAB right after a
    value, so those TABs are masked with spaces (same length, same marks). Raises
    YamlSyntaxError with the first parser's line.
    """
    offset = 1 if text.startswith("\ufeff") else 0
    source = text[offset:]
    if (problem := text_problem(source)) is not None:
        raise YamlSyntaxError(None, f"refused unparsed: {problem}")
    try:
        roots = _roots(source, pure)
    except MarkedYAMLError as err:
        roots = _fallback(source, pure, err)
    if may_nest(source, MAX_DEPTH) and any(tree_depth_exceeds(root) for root in roots):
        raise YamlSyntaxError(None, f"nested more than {MAX_DEPTH} levels")
    return offset, roots


def _fallback(source: str, pure: bool, err: MarkedYAMLError) -> list[Node | None]:
    if not pure:
        try:
            return _roots(source, True)
        except MarkedYAMLError:
            pass
    mark = err.problem_mark or err.context_mark
    line = mark.line + 1 if mark is not None else None
    raise YamlSyntaxError(line, str(err.problem or err.context or err)) from err


def _roots(source: str, pure: bool) -> list[Node | None]:
    try:
        return list(compose_all(_PURE_TABS.sub(" ", source) if pure else source, pure))
    except RecursionError as err:  # the pure composer recurses once per nesting level
        raise YamlSyntaxError(None, "nested too deeply to parse") from err


def marker_lines(text: str) -> list[int] | None:
    """0-based lines holding the token, sorted; None when line breaks other than LF/CRLF
    (a lone CR, NEL, U+2028/9) make our count differ from the parser's."""
    if any(c in text for c in "\x85\u2028\u2029") or text.count("\r") != text.count("\r\n"):
        return None
    lines: list[int] = []
    line, last, position = 0, 0, text.find(_TOKEN)
    while position != -1:
        line += text.count("\n", last, position)
        if not lines or lines[-1] != line:
            lines.append(line)
        last = position
        position = text.find(_TOKEN, position + 1)
    return lines


def compose_all(source: str, pure: bool) -> Iterator[Node | None]:
    """Document roots of a BOM-less text. The C loader is driven directly: `YAML().compose_all`
    adds ~3x overhead (plug-in discovery, versioned tag resolution) on small files; the base
    resolver suffices because only spans, styles and values are read."""
    if not pure and HAVE_C_COMPOSER:
        loader = CBaseLoader(source)
        try:
            while loader.check_node():
                yield loader.get_node()
        finally:
            loader.dispose()
        return
    yaml = getattr(_local, "yaml", None)
    if yaml is None:
        yaml = _local.yaml = YAML(typ="safe", pure=True)
    yield from yaml.compose_all(source)


def object_id(root: Node | None) -> ObjectId:
    """apiVersion, kind, metadata.namespace and metadata.name of a document root."""
    if not isinstance(root, MappingNode):
        return ObjectId()
    top = _scalar_fields(root)
    meta = child_node(root, "metadata")
    inner = _scalar_fields(meta) if isinstance(meta, MappingNode) else {}
    return ObjectId(
        top.get("apiVersion", ""),
        top.get("kind", ""),
        inner.get("namespace", ""),
        inner.get("name", ""),
    )


def _scalar_fields(node: MappingNode) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in node.value:
        if isinstance(key, ScalarNode) and isinstance(value, ScalarNode):
            out.setdefault(str(key.value), str(value.value))
    return out


def child_node(node: MappingNode, name: str) -> Node | None:
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == name:
            return value  # type: ignore[no-any-return]
    return None


class _Finder:
    """Walks one composed document in document order, yielding marked scalar values."""

    def __init__(self, text: str, offset: int, document: int, lines: list[int] | None) -> None:
        self.text = text
        self.offset = offset
        self.document = document
        self.seen: set[int] = set()
        self.multiline: list[tuple[int, int]] = []
        # Only subtrees whose lines hold a marker (or follow one) can yield a candidate;
        # skipping the rest keeps large files (CRDs, big values files) cheap.
        self.lines = lines
        self.line_set = set(lines) if lines is not None else set()

    def _relevant(self, node: Node) -> bool:
        """Whether the node's lines include a marker line or the line after one."""
        if self.lines is None:
            return True
        first = bisect.bisect_left(self.lines, node.start_mark.line - 1)
        return first < len(self.lines) and self.lines[first] <= node.end_mark.line

    def scan(self, root: Node | None) -> Iterator[Candidate]:
        # Children are pushed reversed so they pop in document order. Each entry carries
        # whether the node is a block-sequence item and whether it sits in a flow collection.
        stack: list[tuple[Any, bool, bool]] = [(root, False, False)]
        walked: set[int] = set()  # collections met before: an alias names one, never copies
        while stack:
            node, in_block_seq, in_flow = stack.pop()
            if isinstance(node, MappingNode | SequenceNode):
                if id(node) in walked or not self._relevant(node):
                    continue
                walked.add(id(node))
            if isinstance(node, MappingNode):
                flow = in_flow or bool(node.flow_style)
                for key, value in reversed(node.value):
                    item = _EmptyValue(key) if _is_empty(value) else value
                    stack.append((item, False, flow))
            elif isinstance(node, SequenceNode):
                flow = in_flow or bool(node.flow_style)
                stack.extend((item, not flow, flow) for item in reversed(node.value))
            elif isinstance(node, ScalarNode):
                found = self._scalar(node, in_block_seq, in_flow)
                if found is not None:
                    yield found
            elif isinstance(node, _EmptyValue):
                found = self._empty(node.key, in_flow)
                if found is not None:
                    yield found

    def _scalar(self, node: ScalarNode, in_block_seq: bool, in_flow: bool) -> Candidate | None:
        start = node.start_mark.index + self.offset
        end = node.end_mark.index + self.offset
        if node.start_mark.line != node.end_mark.line:
            self.multiline.append((start, end))  # a "line above" inside it is no comment
        if self.lines is not None and not (
            node.end_mark.line in self.line_set
            or (in_block_seq and node.start_mark.line - 1 in self.line_set)
        ):
            return None  # no marker on its line nor on the line above
        style = SCALAR_STYLES.get(node.style)
        if style is None or start == end or start in self.seen:
            return None  # block scalar, empty value, or an alias of a node already seen
        self.seen.add(start)
        props = NODE_PROPERTIES.match(self.text, start)
        body = props.end() if props else start
        comment = self._comment_after(end)
        if comment is None and in_block_seq:
            comment = self._comment_above(start)
        if comment is None or _TOKEN not in comment:
            return None
        tagged = "!" in self.text[start:body]
        line = self.text.count("\n", start, body) + node.start_mark.line + 1
        return Candidate(
            body, end, str(node.value), style, tagged, line, comment, self.document, in_flow
        )

    def _empty(self, key: Node, in_flow: bool) -> Candidate | None:
        """`key: # {marker}` holds an empty (null) value: insert after the colon."""
        colon = _EMPTY_VALUE.match(self.text, key.end_mark.index + self.offset)
        if colon is None:
            return None
        comment = self._comment_after(colon.end())
        if comment is None or _TOKEN not in comment:
            return None
        point = colon.end()
        return Candidate(
            point,
            point,
            "",
            "plain",
            False,
            key.end_mark.line + 1,
            comment,
            self.document,
            in_flow,
            insert=True,
        )

    def _comment_after(self, end: int) -> str | None:
        match = _LINE_TAIL.match(self.text, end)
        return match.group(1).rstrip() if match else None

    def _comment_above(self, start: int) -> str | None:
        """The comment alone on the line directly above a sequence item's line."""
        line_start = self.text.rfind("\n", 0, start) + 1
        prefix = self.text[line_start:start]
        if line_start == 0 or "-" not in prefix or prefix.strip(" \t-"):
            return None
        line_end = line_start - 1
        if line_end > 0 and self.text[line_end - 1] == "\r":
            line_end -= 1
        above = max(self.text.rfind("\n", 0, line_end) + 1, self.offset)
        match = _COMMENT_LINE.fullmatch(self.text, above, line_end)
        if match is None or any(s < above < e for s, e in self.multiline):
            return None
        return match.group(1).rstrip()


class _EmptyValue:
    """Stands for the empty (null) value of a mapping pair while walking."""

    __slots__ = ("key",)

    def __init__(self, key: Node) -> None:
        self.key = key


def _is_empty(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.start_mark.index == node.end_mark.index
