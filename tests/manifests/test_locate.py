from __future__ import annotations

import pytest

from automation.changeset import ObjectId
from automation.manifests.locate import HAVE_C_COMPOSER, YamlSyntaxError, locate

COMPOSERS = [True, False] if HAVE_C_COMPOSER else [True]
M = '# {"$imagepolicy": "ns:p"}'


def spans(text: str, pure: bool) -> list[str]:
    return [text[c.start : c.end] for c in locate(text, pure=pure).candidates]


@pytest.mark.parametrize("pure", COMPOSERS)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"a: b {M}\n", ["b"]),
        (f"a: 'b' {M}\n", ["'b'"]),
        (f'a: "b" {M}\n', ['"b"']),
        (f"a: &x !!str b {M}\nc: *x\n", ["b"]),  # properties skipped, alias not twice
        (f"- b {M}\n", ["b"]),
        (f"l:\n  {M}\n  - b\n", ["b"]),  # above a sequence item
        (f"l:\n{M}\n- b\n", ["b"]),
        (f"{M}\nkey: b\n", []),  # above a key: value pair: not a marker
        (f"l:\n  {M}\n  - b # own comment\n", []),  # the item's own comment wins
        (f"l:\n  {M}\n\n  - b\n", []),  # not directly above
        (f"a: |\n  x: b {M}\n", []),  # inside a block scalar
        (f"- |\n  {M}\n- b\n", []),  # the line above is block-scalar content
        (f"a: [b, c] {M}\n", []),  # after a flow collection
        (f"a: {{b: c}} {M}\n", []),
        (f"? k {M}\n: v\n", []),  # on a mapping key
        (f"a: [\n  b, {M}\n  c\n]\n", ["b"]),  # in a multi-line flow sequence
        (f"a: b\t{M}\n", ["b"]),  # TAB before the comment
        (f"a: b {M}\r\nc: d\r\n", ["b"]),
        (f"a: b#x {M}\n", ["b#x"]),  # no space before '#': part of the scalar
        (f"a: multi\n  line {M}\n", ["multi\n  line"]),
    ],
)
def test_where_markers_count(text: str, expected: list[str], pure: bool) -> None:
    assert spans(text, pure) == expected


@pytest.mark.parametrize("pure", COMPOSERS)
def test_bom_offsets(pure: bool) -> None:
    text = f"\ufeffa: b {M}\nl:\n{M}\n- c\n"
    located = locate(text, pure=pure)
    assert [text[c.start : c.end] for c in located.candidates] == ["b", "c"]
    assert [c.line for c in located.candidates] == [1, 4]


@pytest.mark.parametrize("pure", COMPOSERS)
def test_empty_value_is_an_insertion_point(pure: bool) -> None:
    text = f"digest: {M}\nother:\n"
    (candidate,) = locate(text, pure=pure).candidates
    assert candidate.insert and candidate.start == candidate.end == len("digest:")


@pytest.mark.parametrize("pure", COMPOSERS)
def test_objects_per_document(pure: bool) -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a\n  namespace: n\n"
        f"---\n- x {M}\n---\nkind: Only\n"
    )
    located = locate(text, pure=pure)
    assert located.objects == (
        ObjectId("apps/v1", "Deployment", "n", "a"),
        ObjectId(),
        ObjectId("", "Only", "", ""),
    )
    assert [c.document for c in located.candidates] == [1]


@pytest.mark.parametrize("pure", COMPOSERS)
def test_syntax_error_names_the_line(pure: bool) -> None:
    with pytest.raises(YamlSyntaxError) as info:
        locate("a: b\nc: [d\ne: f\n", pure=pure)
    assert info.value.line is not None and info.value.line >= 2


def test_c_composer_rejection_falls_back_to_the_pure_one() -> None:
    # libyaml in ruamel.yaml.clib refuses a ':' in a plain scalar inside a flow collection.
    text = f"a: [\n  x:y, {M}\n]\n"
    assert spans(text, pure=False) == ["x:y"]
