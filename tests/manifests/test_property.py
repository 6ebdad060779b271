"""Property: for generated YAML with markers, the output equals the input with exactly the
marked scalars replaced, and it loads to the same data except those values.

Documents are generated as a small tree model and rendered with varied formatting (2- or
4-space indent, compact or indented sequences, CRLF, BOM, missing final newline, blank
lines, comments, several documents, list roots, quote styles, markers on the same line or
above a sequence item).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from automation.manifests.cache import LocateCache
from automation.manifests.document import update_text
from automation.manifests.locate import locate
from automation.reference import LatestRef

NAMESPACE = "apps"
REFS = {
    "app": LatestRef("ghcr.io/acme/app", "v2.0.0", "sha256:" + "ab" * 32),
    "web": LatestRef("registry.example.com:5000/web", "1.10"),
    "num": LatestRef("acme/batch", "20240101"),
    "flag": LatestRef("acme/flag", "yes"),
    "sci": LatestRef("acme/sci", "1e3"),
}
SETTERS = ["", ":tag", ":name", ":digest"]


@dataclass
class Scalar:
    value: str
    style: str  # plain | single | double
    marker: str | None = None  # e.g. "apps:app:tag"
    above: bool = False  # marker on the line above (sequence items only)
    comment: str | None = None  # an ordinary trailing comment
    anchor: bool = False  # rendered with an `&aN` property before the value


@dataclass
class Block:
    """A literal or folded block scalar whose lines look like marked YAML: never changed."""

    indicator: str
    lines: list[str]


@dataclass
class Mapping:
    entries: list[tuple[str, Any]]


@dataclass
class Seq:
    items: list[Any]


@dataclass
class FlowSeq:
    items: list[str]


@dataclass
class Format:
    indent: int
    compact: bool
    newline: str
    bom: bool
    final_newline: bool
    blank_lines: bool


@dataclass
class Rendered:
    parts: list[tuple[str, Scalar | None]] = field(default_factory=list)

    def fixed(self, text: str) -> None:
        self.parts.append((text, None))

    def scalar(self, text: str, node: Scalar) -> None:
        self.parts.append((text, node))


plain_values = st.from_regex(
    r"[a-z][a-z0-9]{0,6}(/[a-z0-9]{1,6})?(:[a-z0-9.]{1,6})?", fullmatch=True
)
any_values = st.one_of(plain_values, st.text(alphabet="ab c:'\"#é\\-", min_size=0, max_size=8))
keys = st.from_regex(r"[a-z][a-zA-Z0-9]{0,8}", fullmatch=True)
block_lines = st.lists(
    st.sampled_from(
        [
            'image: nginx:1 # {"$imagepolicy": "apps:app"}',
            '# {"$imagepolicy": "apps:app:tag"}',
            "- v1",
            "plain text",
        ]
    ),
    min_size=1,
    max_size=3,
)
blocks = st.builds(Block, st.sampled_from(["|", "|-", ">"]), block_lines)
comments = st.sampled_from(
    ["a note", "see docs\tfor more", 'mentions "$imagepolicy" in prose', "{not: json}", "컨테이너"]
)


@st.composite
def markers(draw: st.DrawFn) -> str:
    ns = draw(st.sampled_from([NAMESPACE, NAMESPACE, NAMESPACE, "elsewhere"]))
    policy = draw(st.sampled_from([*REFS, "missing"]))
    return f"{ns}:{policy}{draw(st.sampled_from(SETTERS))}"


@st.composite
def scalars(draw: st.DrawFn, in_seq: bool) -> Scalar:
    style = draw(st.sampled_from(["plain", "single", "double"]))
    value = draw(plain_values if style == "plain" else any_values)
    marked = draw(st.booleans())
    node = Scalar(value, style, anchor=draw(st.integers(0, 4)) == 0)
    if marked:
        node.marker = draw(markers())
        node.above = in_seq and draw(st.booleans())
    elif draw(st.booleans()):
        node.comment = draw(comments)
    return node


def nodes(depth: int, in_seq: bool = False) -> st.SearchStrategy[Any]:
    leaf = scalars(in_seq)
    if depth <= 0:
        return leaf
    return st.one_of(
        leaf,
        leaf,
        blocks,
        mappings(depth - 1),
        seqs(depth - 1),
        st.lists(st.from_regex(r"[a-z0-9]{1,5}", fullmatch=True), max_size=3).map(FlowSeq),
    )


def mappings(depth: int) -> st.SearchStrategy[Mapping]:
    return st.lists(
        st.tuples(keys, st.deferred(lambda: nodes(depth))),
        min_size=1,
        max_size=4,
        unique_by=lambda kv: kv[0],
    ).map(Mapping)


def seqs(depth: int) -> st.SearchStrategy[Seq]:
    item = st.one_of(scalars(True), scalars(True), blocks, st.deferred(lambda: mappings(depth)))
    return st.lists(item, min_size=1, max_size=4).map(Seq)


def scalar_text(node: Scalar) -> str:
    if node.style == "plain":
        return node.value
    if node.style == "single":
        return "'" + node.value.replace("'", "''") + "'"
    return json.dumps(node.value, ensure_ascii=False)


def marker_comment(value: str, hashes: int) -> str:
    return "#" * hashes + ' {"$imagepolicy": "' + value + '"}'


class Renderer:
    def __init__(self, fmt: Format, draw: st.DrawFn) -> None:
        self.fmt = fmt
        self.draw = draw
        self.out = Rendered()
        self.anchors = 0

    def line_end(self, node: Scalar | None = None) -> None:
        if node is not None and node.marker and not node.above:
            spaces = " " * self.draw(st.integers(1, 3))
            self.out.fixed(spaces + marker_comment(node.marker, self.draw(st.integers(1, 2))))
        elif node is not None and node.comment:
            self.out.fixed(" # " + node.comment)
        self.out.fixed(self.fmt.newline)

    def extras(self, indent: str) -> None:
        if self.fmt.blank_lines and self.draw(st.integers(0, 4)) == 0:
            self.out.fixed(self.fmt.newline)
        if self.draw(st.integers(0, 5)) == 0:
            self.out.fixed(f"{indent}# {self.draw(comments)}{self.fmt.newline}")

    def anchor(self, node: Scalar) -> None:
        if node.anchor:
            self.anchors += 1
            self.out.fixed(f"&a{self.anchors} ")

    def block(self, node: Block, indent: int) -> None:
        self.out.fixed(" " + node.indicator + self.fmt.newline)
        for line in node.lines:
            self.out.fixed(" " * indent + line + self.fmt.newline)

    def value(self, node: Any, indent: int) -> None:
        """After `key:` (no space yet)."""
        if isinstance(node, Scalar):
            self.out.fixed(" ")
            self.anchor(node)
            self.out.scalar(scalar_text(node), node)
            self.line_end(node)
        elif isinstance(node, Block):
            self.block(node, indent + self.fmt.indent)
        elif isinstance(node, FlowSeq):
            self.out.fixed(" [" + ", ".join(node.items) + "]")
            self.line_end()
        elif isinstance(node, Mapping):
            self.line_end()
            self.mapping(node, indent + self.fmt.indent)
        else:
            self.line_end()
            self.seq(node, indent if self.fmt.compact else indent + self.fmt.indent)

    def mapping(self, node: Mapping, indent: int, first_prefix: str | None = None) -> None:
        for i, (key, child) in enumerate(node.entries):
            if i == 0 and first_prefix is not None:
                self.out.fixed(first_prefix + key + ":")
            else:
                self.extras(" " * indent)
                self.out.fixed(" " * indent + key + ":")
            self.value(child, indent)

    def seq(self, node: Seq, indent: int) -> None:
        pad = " " * indent
        for item in node.items:
            self.extras(pad)
            if isinstance(item, Scalar):
                if item.marker and item.above:
                    self.out.fixed(pad + marker_comment(item.marker, 1) + self.fmt.newline)
                self.out.fixed(pad + "- ")
                self.anchor(item)
                self.out.scalar(scalar_text(item), item)
                self.line_end(item)
            elif isinstance(item, Block):
                self.out.fixed(pad + "-")
                self.block(item, indent + 2)
            else:
                self.mapping(item, indent + 2, first_prefix=pad + "- ")


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[tuple[str, Scalar | None]], list[Any]]:
    fmt = Format(
        indent=draw(st.sampled_from([2, 4])),
        compact=draw(st.booleans()),
        newline=draw(st.sampled_from(["\n", "\n", "\r\n"])),
        bom=draw(st.booleans()),
        final_newline=draw(st.booleans()),
        blank_lines=draw(st.booleans()),
    )
    roots = draw(st.lists(st.one_of(mappings(2), seqs(2)), min_size=1, max_size=3))
    renderer = Renderer(fmt, draw)
    if fmt.bom:
        renderer.out.fixed("\ufeff")
    for i, root in enumerate(roots):
        if i > 0 or draw(st.booleans()):
            renderer.out.fixed("---" + fmt.newline)
        if isinstance(root, Mapping):
            renderer.mapping(root, 0)
        else:
            renderer.seq(root, 0)
        if draw(st.integers(0, 3)) == 0:
            renderer.out.fixed("..." + fmt.newline)
    parts = renderer.out.parts
    if not fmt.final_newline and parts[-1][0] == fmt.newline:
        parts = parts[:-1]
    text = "".join(t for t, _ in parts)
    return text, parts, roots


def expected_value(marker: str) -> str | None:
    ns, policy, *suffix = marker.split(":")
    ref = REFS.get(policy)
    if ns != NAMESPACE or ref is None:
        return None
    setter = suffix[0] if suffix else "full"
    return {"tag": ref.tag, "name": ref.name, "digest": ref.digest}.get(setter, str(ref))


def load_all(text: str) -> list[Any]:
    yaml = YAML(typ="safe", pure=True)
    return list(yaml.load_all(io.StringIO(text)))


def apply_expectations(data: Any, root: Any) -> Any:
    """The data `root` renders to, with marked values replaced by what the setter writes."""
    if isinstance(root, Scalar):
        new = expected_value(root.marker) if root.marker else None
        return data if new is None else new
    if isinstance(root, Mapping):
        return {k: apply_expectations(data[k], child) for k, child in root.entries}
    if isinstance(root, Seq):
        return [apply_expectations(d, item) for d, item in zip(data, root.items, strict=True)]
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.booleans())
def test_only_marked_scalars_change(doc: tuple[str, Any, list[Any]], pure: bool) -> None:
    text, parts, roots = doc
    update = update_text(text, REFS, namespace=NAMESPACE, pure=pure)

    # 1. Byte level: everything outside the marked scalars is identical.
    pattern = "".join(
        r"([^\r\n]*?)" if node is not None and node.marker else re.escape(t) for t, node in parts
    )
    match = re.fullmatch(pattern, update.text, re.DOTALL)
    assert match is not None, "text outside the marked scalars changed"
    marked = [node for _, node in parts if node is not None and node.marker]
    for new_text, node in zip(match.groups(), marked, strict=True):
        if (
            expected_value(node.marker or "") is None
            or expected_value(node.marker or "") == node.value
        ):
            assert new_text == scalar_text(node)  # not applied or unchanged: same bytes
        elif node.style != "plain":
            assert new_text[0] == scalar_text(node)[0]  # the quote style is kept

    # 2. Data level: the same data except the marked values.
    before, after = load_all(text), load_all(update.text)
    assert len(after) == len(roots)
    for data_before, data_after, root in zip(before, after, roots, strict=True):
        assert data_after == apply_expectations(data_before, root)

    # 3. The change records are exactly the marked values that differ.
    expected_changes = [
        (node.value, expected_value(node.marker or ""))
        for node in marked
        if expected_value(node.marker or "") not in (None, node.value)
    ]
    assert [(c.old, c.new) for _, c in update.changes] == expected_changes


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_cached_relocation_equals_a_fresh_parse(doc: tuple[str, Any, list[Any]]) -> None:
    """The cache derives the located spans of the new text; they must equal a real parse."""
    text, _, _ = doc
    cache = LocateCache()
    update = update_text(text, REFS, namespace=NAMESPACE, cache=cache)
    derived = cache.get(update.text)
    if update.changed and derived is not None:
        assert derived == locate(update.text)
    again = update_text(update.text, REFS, namespace=NAMESPACE, cache=cache)
    assert again.text == update.text and not again.changed
