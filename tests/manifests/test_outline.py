"""The line reader (`locate_plain`) must give exactly what the parser (`locate`) gives, or
decline (None). Differential: generated documents (the property test's renderer, with block
scalars, anchors, flow sequences, markers above items, CRLF, BOM) and line soups that are
often invalid YAML; plus regression cases for each rule of the subset."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.manifests.document import update_text
from automation.manifests.locate import LocatedFile, YamlSyntaxError, locate
from automation.manifests.outline import locate_plain
from tests.manifests.test_property import NAMESPACE, REFS, documents

# The parser warns about reused anchors in generated soups; they are expected there.
SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
pytestmark = pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")

MARK = '# {"$imagepolicy": "apps:app"}'
TAG = '# {"$imagepolicy": "apps:web:tag"}'


def parsed(text: str) -> LocatedFile | None:
    try:
        return locate(text)
    except YamlSyntaxError:
        return None


def assert_agrees(text: str) -> LocatedFile | None:
    plain = locate_plain(text)
    if plain is not None:
        assert parsed(text) == plain, "the line reader disagrees with the parser"
    return plain


def assert_same_update(text: str) -> None:
    try:
        expected = update_text(text, REFS, namespace=NAMESPACE, pure=False)
    except YamlSyntaxError:
        assert locate_plain(text) is None
        return
    got = update_text(text, REFS, namespace=NAMESPACE, cache=None)
    assert (got.text, got.changes, got.notes) == (expected.text, expected.changes, expected.notes)


@settings(max_examples=200, deadline=None, suppress_health_check=SLOW_OK)
@given(documents())
def test_generated_documents_agree(doc: tuple[str, Any, list[Any]]) -> None:
    text = doc[0]
    assert_agrees(text)
    assert_same_update(text)


INDENTS = ["", "  ", "    ", " ", "      "]
PREFIXES = ["", "- ", "- - ", "-  ", "-   "]
KEYS = [
    "image",
    "kind",
    "apiVersion",
    "metadata",
    "name",
    "namespace",
    '"image"',
    "'k'",
    "a b",
    "? x",
    "&a k",
    "<<",
    "---",
    "x:y",
    "-x",
    "k\t",
]
VALUES = [
    "",
    "nginx:1.0",
    "ghcr.io/acme/app:v1",
    '"v1"',
    "'v1'",
    "'it''s'",
    '"a\\"b"',
    "1.10",
    "{}",
    "[]",
    "[a, b]",
    "{a: 1}",
    "|",
    ">-",
    "&a v",
    "*a",
    "!!str v",
    "a: b",
    "a #b",
    "a#b",
    '"open',
    "'open",
    "- a",
    "~",
    "Deployment",
    "apps/v1",
    "v1",
    "é",
    "-",
    ":x",
    '"$imagepolicy"',
    "%x",
    "@x",
    "`x",
]
TAILS = ["", " " + MARK, "  " + TAG, " # note", " #" + MARK[1:], "   ", " " + MARK + " x"]
EXTRA_LINES = [
    "",
    "---",
    "...",
    "%YAML 1.2",
    MARK,
    "  " + MARK,
    "# note",
    "  continued",
    '  more"',
    "  - x " + MARK,
    "\t- a",
    "---  ",
    "--- a",
    "  ---",
]


@st.composite
def line_soups(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.integers(0, 4)) == 0:
            lines.append(draw(st.sampled_from(EXTRA_LINES)))
            continue
        indent, prefix = draw(st.sampled_from(INDENTS)), draw(st.sampled_from(PREFIXES))
        tail = draw(st.sampled_from(TAILS))
        if draw(st.integers(0, 3)) == 0:
            lines.append(indent + "- " + draw(st.sampled_from(VALUES)) + tail)
            continue
        value = draw(st.sampled_from(VALUES))
        key = draw(st.sampled_from(KEYS))
        lines.append(f"{indent}{prefix}{key}:" + (f" {value}" if value else "") + tail)
    newline = draw(st.sampled_from(["\n", "\n", "\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


@settings(max_examples=800, deadline=None, suppress_health_check=SLOW_OK)
@given(line_soups())
def test_line_soups_agree(text: str) -> None:
    assert_agrees(text)
    assert_same_update(text)


# Plainly written files the reader must take (else it would not speed anything up).
ACCEPTED = [
    f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n"
    f"spec:\n  template:\n    spec:\n      containers:\n        - name: app\n"
    f"          image: ghcr.io/acme/app:v1 {MARK}\n          ports:\n            - 80\n",
    f'image:\n  repository: acme/app # {{"$imagepolicy": "apps:app:name"}}\n'
    f'  tag: "v1" {TAG}\nresources: {{}}\ntolerations: []\n',
    f"kind: A\nmetadata:\n  name: a\n---\n# between\n---\nkind: B\nmetadata:\n  name: b\n"
    f"images:\n- name: x\n  newTag: v1 {TAG}\n- name: y\n",
    f"metadata:\n  name: n\nimage: {MARK}\nother:\n",  # empty value: inserted after the colon
    f"- - a {MARK}\n  - 'it''s' {TAG}\n- key:\n  - b\n  other: c\n",
    f"kind: K\nmetadata: {{}}\nmetadata:\n  name: second\nimage: x {MARK}",
    f"# top\n\n  root: 1\n  image: x {MARK}\n",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_plain_files_are_read_without_the_parser(text: str) -> None:
    plain = assert_agrees(text)
    assert plain is not None and plain.candidates
    assert_same_update(text)


DECLINED = {
    "block scalar": f"data: |\n  image: nginx {MARK}\nimage: x {MARK}\n",
    "plain continuation": f"key: a\n  - b {MARK}\n",
    "quoted continuation": f'key: "a\n  - b {MARK}\n  c"\n',
    "marker above an item": f"images:\n  {MARK}\n  - nginx:1\n",
    "flow collection": f"images: [a, b] {MARK}\nx: y {MARK}\n",
    "anchor": f"image: &a nginx {MARK}\n",
    "tag": f"image: !!str nginx {MARK}\n",
    "escape": f'image: "a\\tb" {MARK}\n',
    "crlf": f"image: nginx {MARK}\r\n",
    "bom": f"\ufeffimage: nginx {MARK}\n",
    "tab": f"image:\tnginx {MARK}\n",
    "directive": f"%YAML 1.2\n---\nimage: nginx {MARK}\n",
    "bad indentation": f"a:\n  b: 1\n c: 2\nimage: x {MARK}\n",
    "value then deeper line": f"a: 1\n  b: 2\nimage: x {MARK}\n",
    "second root": f"  a: 1\nb: 2\nimage: x {MARK}\n",
    "token in a value": "image: 'x \"$imagepolicy\"' # {}\n",
    "document end": f"image: x {MARK}\n...\n",
    "document start with content": f"--- a\nimage: x {MARK}\n",
    "key over libyaml's limit": "k" * 1100 + f": v\nimage: x {MARK}\n",
    "non-ASCII comment": f"# café\nimage: x {MARK}\n",
    "bare scalar document": f"image\n---\nimage: x {MARK}\n",
}


@pytest.mark.parametrize("text", list(DECLINED.values()), ids=list(DECLINED))
def test_unsure_files_go_to_the_parser(text: str) -> None:
    assert locate_plain(text) is None
    assert_same_update(text)


def test_identity_follows_the_parser() -> None:
    text = (
        "apiVersion: v1\nkind:\n  nested: 1\nkind: Second\nmetadata:\n  name: n\n"
        "  namespace: ns\n  labels:\n    name: inner\nimage: x " + MARK + "\n"
    )
    plain = assert_agrees(text)
    assert plain is not None
    assert [str(o) for o in plain.objects] == ["Second/ns/n"]


# Plainly written documents (what the reader should take), rendered from a random tree with
# random indentation per level, then sometimes damaged by one edit (what it must decline or
# still read exactly as the parser does).
plain_scalars = st.one_of(
    st.from_regex(r"[a-z][a-z0-9./:-]{0,10}[a-z0-9]", fullmatch=True),
    st.sampled_from(["1.10", "yes", "~", "-x", "a b", "a#b", "x:y", "(a)", "$v", "v1"]),
    st.builds(lambda v: "'" + v.replace("'", "''") + "'", st.text(" ab:#'\"-", max_size=6)),
    st.builds(lambda v: '"' + v + '"', st.text(" ab:#'-", max_size=6)),
)
plain_keys = st.one_of(
    st.sampled_from(["apiVersion", "kind", "metadata", "name", "namespace", "image", "tag"]),
    st.from_regex(r"[a-z][a-z0-9.-]{0,6}", fullmatch=True),
    st.sampled_from(['"kind"', "'name'", "a b", "x/y"]),
)


def plain_trees(depth: int, *, leaves: bool = True) -> st.SearchStrategy[Any]:
    leaf = st.one_of(plain_scalars, st.sampled_from(["", "{}", "[]"]))
    if depth == 0:
        return leaf
    inner = st.deferred(lambda: plain_trees(depth - 1))
    collections = st.one_of(
        st.lists(st.tuples(plain_keys, inner), min_size=1, max_size=4).map(dict_node),
        st.lists(inner, min_size=1, max_size=3).map(list_node),
    )
    return st.one_of(leaf, collections) if leaves else collections


def dict_node(pairs: list[tuple[str, Any]]) -> tuple[str, Any]:
    return ("map", pairs)


def list_node(items: list[Any]) -> tuple[str, Any]:
    return ("seq", items)


class PlainRenderer:
    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.lines: list[str] = []

    def tail(self) -> str:
        choice = self.draw(st.integers(0, 5))
        if choice == 0:
            return " " + self.draw(st.sampled_from([MARK, TAG, "# note", '# {"$imagepolicy": 1}']))
        return ""

    def step(self) -> int:
        return self.draw(st.integers(1, 4))

    def node(self, node: Any, prefix: str, indent: int) -> None:
        """Render `node` after `prefix` (`key:` or dashes, already indented)."""
        if isinstance(node, str):
            self.lines.append(
                f"{prefix} {node}".rstrip() + self.tail() if node else prefix + self.tail()
            )
            return
        kind, children = node
        if kind == "map" and prefix.endswith("- "):
            self.mapping(children, prefix, len(prefix))
            return
        if kind == "seq" and prefix.endswith("- ") and self.draw(st.booleans()):
            self.sequence(children, prefix, len(prefix))  # `- - item`
            return
        self.lines.append(prefix + self.tail())
        if self.draw(st.integers(0, 6)) == 0:
            self.lines.append(" " * indent + "# between")
        if kind == "seq" and not prefix.endswith("- ") and self.draw(st.booleans()):
            self.sequence(children, " " * indent, indent)  # a loose sequence
        elif kind == "seq":
            deeper = indent + self.step()
            self.sequence(children, " " * deeper, deeper)
        else:
            deeper = indent + self.step()
            self.mapping(children, " " * deeper, deeper)

    def mapping(self, pairs: list[tuple[str, Any]], first: str, indent: int) -> None:
        for i, (key, value) in enumerate(pairs):
            lead = first if i == 0 else " " * indent
            self.node(value, f"{lead}{key}:", indent)

    def sequence(self, items: list[Any], first: str, indent: int) -> None:
        for i, item in enumerate(items):
            lead = first if i == 0 else " " * indent
            dash = "-" + " " * self.draw(st.integers(1, 2))
            self.node(item, lead + dash, indent + len(dash))


@st.composite
def plain_documents(draw: st.DrawFn) -> str:
    renderer = PlainRenderer(draw)
    roots = draw(st.lists(plain_trees(3, leaves=False), min_size=1, max_size=2))
    for i, root in enumerate(roots):
        if i or draw(st.booleans()):
            renderer.lines.append("---")
        kind, children = root
        if kind == "map":
            renderer.mapping(children, "", 0)
        else:
            renderer.sequence(children, "", 0)
    lines = renderer.lines
    damage = draw(st.integers(0, 3))
    if damage == 1 and lines:  # move one line sideways
        at = draw(st.integers(0, len(lines) - 1))
        lines[at] = (
            " " * draw(st.integers(1, 3)) + lines[at] if draw(st.booleans()) else lines[at][1:]
        )
    elif damage == 2:  # one line the reader must be careful about
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(st.sampled_from([*EXTRA_LINES, "  " + MARK, "data: |", "  - b"])))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


@settings(max_examples=800, deadline=None, suppress_health_check=SLOW_OK)
@given(plain_documents())
def test_plain_documents_agree(text: str) -> None:
    assert_agrees(text)
    assert_same_update(text)
