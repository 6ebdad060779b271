"""Plainly written YAML lines: which have a shape, and how one is taken apart (pure)."""

from __future__ import annotations

import pytest

from automation.manifests.lineshape import SHAPES, split_entry, unquote


@pytest.mark.parametrize(
    "text",
    [
        'image: ghcr.io/org/app:1.0 # {"$imagepolicy": "apps:app"}',
        "- name: app",
        "  - - 'it''s': \"x\"",
        "spec: {}",
        "---",
        "# a comment",
        "",
    ],
)
def test_plain_lines_have_a_shape(text: str) -> None:
    assert SHAPES.fullmatch(text.encode())


@pytest.mark.parametrize(
    "text",
    ["a: &anchor 1", "a: *alias", "a: !!str 1", "a: |", "a: {b: 1}", 'a: "esc\\n"', "? complex"],
)
def test_anything_else_has_none(text: str) -> None:
    assert not SHAPES.fullmatch(text.encode())


@pytest.mark.parametrize(
    ("rest", "parts"),
    [
        ("image: app:1 # note", ("image", "app:1")),
        ("image:", ("image", None)),
        ("image:   # only a comment", ("image", None)),
        ("'a b': 'c''d' # x", ("'a b'", "'c''d'")),
        ('"quoted"', (None, '"quoted"')),
        ("[]", (None, "[]")),
        ("just-a-value # c", (None, "just-a-value")),
    ],
)
def test_split_entry(rest: str, parts: tuple[str | None, str | None]) -> None:
    assert split_entry(rest) == parts


def test_unquote() -> None:
    assert unquote("'it''s'") == "it's"
    assert unquote('"a:b"') == "a:b"
    assert unquote("plain") == "plain"
