"""Bounds on what a manifest may make the YAML composer and our walks do.

A manifest comes from a repository many people may push to. The composers recurse once per
nesting level: ruamel's pure one raises RecursionError near 300 levels (after a quadratic
scan of an unclosed `[[[...`), and the C one (libyaml under Cython) recurses on the C stack,
so ~100 000 levels crash the process. So before composing we bound the depth from the text
alone, in linear time: block nesting needs one more column of indentation or indicators
(`- `, `? `, `: `) at the start of a line per level, and flow nesting one more unclosed
bracket. A text whose bound passes `COMPOSE_LIMIT` is refused unparsed; one within it is
composed and its real depth checked against `MAX_DEPTH` without recursion. Aliases share the
node they name, so walks track visited nodes instead of following each alias again (a 1 KB
"billion laughs" file names 10^9 scalars through nested aliases).
"""

from __future__ import annotations

import re
from itertools import accumulate

from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

MAX_BYTES = 16 << 20  # the largest manifest we read; CRD bundles stay well below
MAX_DEPTH = 100  # CRD schemas, the deepest real manifests, nest ~40 levels
COMPOSE_LIMIT = 512  # a bound past this is refused before composing

_BRACKETS = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _leading_run(levels: int) -> re.Pattern[str]:
    return re.compile(rf"^[ \t?:-]{{{levels}}}", re.MULTILINE)


_LEAD = {limit: _leading_run(limit // 2) for limit in (MAX_DEPTH, COMPOSE_LIMIT)}


def too_large(size: int) -> str | None:
    return f"larger than {MAX_BYTES} bytes" if size > MAX_BYTES else None


def may_nest(text: str, limit: int) -> str | None:
    """None when `text` provably nests at most `limit` levels, else what may exceed it.

    Linear: one regular-expression search whose pattern cannot backtrack, and a running sum
    over the brackets. The bound is loose (quoted brackets count too), never too small."""
    if len(text) <= limit:
        return None
    half = limit // 2
    if _LEAD[limit].search(text) is not None:
        return f"nested or indented more than {half} levels"
    brackets = _BRACKETS.findall(text)
    if len(brackets) >= half and max(accumulate(map(_STEP.__getitem__, brackets))) >= half:
        return f"flow collections nested more than {half} levels"
    return None


def text_problem(text: str) -> str | None:
    """Why `text` must not be composed at all (too large, or may nest too deep), or None."""
    return too_large(len(text)) or may_nest(text, COMPOSE_LIMIT)


def tree_depth_exceeds(root: Node | None, limit: int = MAX_DEPTH) -> bool:
    """Whether the composed tree nests deeper than `limit`; each node is looked at once."""
    if not isinstance(root, MappingNode | SequenceNode):
        return False
    seen: set[int] = set()
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            children = [child for pair in reversed(node.value) for child in reversed(pair)]
        else:
            children = list(reversed(node.value))
        # Reversed, so they pop in document order: a node is first met where it is written
        # (its anchor), not at an alias.
        stack.extend((child, depth + 1) for child in children if _nests(child))
    return False


def _nests(node: Node) -> bool:
    return isinstance(node, MappingNode | SequenceNode)
