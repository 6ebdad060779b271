"""OCI tag and digest grammar."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation.registry.tags import (
    CheckedTags,
    check_tags,
    is_valid_digest,
    is_valid_tag,
)


@pytest.mark.parametrize(
    ("tag", "valid"),
    [
        ("latest", True),
        ("1.0.0", True),
        ("_x", True),
        ("v1.2.3-rc.1_build", True),
        ("A" * 128, True),
        ("A" * 129, False),
        (".hidden", False),
        ("-dash", False),
        ("a/b", False),
        ("a:b", False),
        ("tag\n", False),
        ("ü", False),
        ("", False),
        ("${IMAGE}", False),
    ],
)
def test_tag_grammar(tag: str, valid: bool) -> None:
    assert is_valid_tag(tag) is valid


@pytest.mark.parametrize(
    ("digest", "valid"),
    [
        ("sha256:" + "a" * 64, True),
        ("sha512:" + "0" * 128, True),
        ("sha256:" + "A" * 64, False),
        ("sha256:" + "a" * 63, False),
        ("sha256:" + "a" * 64 + "\n", False),
        ("md5:" + "a" * 32, False),
        ("sha256" + "a" * 64, False),
        ("", False),
    ],
)
def test_digest_grammar(digest: str, valid: bool) -> None:
    assert is_valid_digest(digest) is valid


@given(st.lists(st.one_of(st.text(max_size=140), st.integers(), st.none())))
def test_check_tags_keeps_exactly_the_grammatical_strings(raw: list[object]) -> None:
    checked = check_tags(raw)
    assert checked.valid == [t for t in raw if is_valid_tag(t)]
    assert checked.dropped == len(raw) - len(checked.valid)
    assert len(checked.dropped_samples) == min(5, checked.dropped)


def test_a_deeply_nested_tag_entry_is_dropped_without_its_repr() -> None:
    nested: object = "x"
    for _ in range(900):  # as deep as the JSON decoder allows, then printed from deeper
        nested = [nested]

    def deep(levels: int) -> CheckedTags:
        return check_tags(["v1", nested]) if levels == 0 else deep(levels - 1)

    checked = deep(150)
    assert checked.valid == ["v1"] and checked.dropped_samples == ("<list>",)
