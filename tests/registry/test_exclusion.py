"""The exclusionList filter: RE2 semantics, with plain-text patterns checked as text."""

from __future__ import annotations

import pytest
import re2
from hypothesis import example, given, settings
from hypothesis import strategies as st

from automation.registry.exclusion import (
    ExclusionList,
    InvalidExclusionError,
    Literal,
    literal_form,
)


def test_empty_exclusion_list_means_the_default_sig_filter() -> None:
    assert ExclusionList().apply(["1.0", "sha256-abc.sig", "sig", ".sig", "a.sigx"]) == [
        "1.0",
        "sig",
        "a.sigx",
    ]


def test_user_exclusion_list_replaces_the_default_and_searches_unanchored() -> None:
    exclusions = ExclusionList(["alpha", "^rc"])
    assert exclusions.apply(["1.0-alpha.1", "rc1", "1.0-rc1", "0.1.1.sig"]) == [
        "1.0-rc1",
        "0.1.1.sig",
    ]


def test_invalid_exclusion_regex_is_stalled_and_names_the_pattern() -> None:
    with pytest.raises(InvalidExclusionError, match=r"invalid regular expression '\(\?=x\)'"):
        ExclusionList(["(?=x)"])  # lookahead: not RE2


@pytest.mark.parametrize(
    ("pattern", "literal"),
    [
        ("^.*\\.sig$", Literal(".sig", at_start=False, at_end=True)),
        (".*\\.sig$", Literal(".sig", at_start=False, at_end=True)),
        ("\\.att$", Literal(".att", at_start=False, at_end=True)),
        ("^sha256-", Literal("sha256-", at_start=True, at_end=False)),
        ("^sha256-.*$", Literal("sha256-", at_start=True, at_end=False)),
        ("^latest$", Literal("latest", at_start=True, at_end=True)),
        ("-rc", Literal("-rc", at_start=False, at_end=False)),
        ("^.*-rc.*$", Literal("-rc", at_start=False, at_end=False)),
        ("a\\$b\\^", Literal("a$b^", at_start=False, at_end=False)),
        ("", Literal("", at_start=False, at_end=False)),
        # Real expressions: left to RE2.
        ("sig$|att$", None),
        ("^v[0-9]+", None),
        ("\\d", None),
        ("a\\.*", None),  # `a` then any number of dots
        ("^.*?x", None),
        ("(?i)^latest$", None),
        ("^a{2}$", None),
        ("é", None),
    ],
)
def test_literal_forms(pattern: str, literal: Literal | None) -> None:
    assert literal_form(pattern) == literal


def test_literal_and_set_patterns_mix() -> None:
    exclusions = ExclusionList(["^.*\\.sig$", "^v[0-9]+$", "^latest$", "-debug", "^sha256-"])
    tags = ["1.0", "v12", "v12a", "latest", "latest2", "1.0-debug", "sha256-x", "x-sha256-"]
    assert exclusions.apply(tags) == ["1.0", "v12a", "latest2", "x-sha256-"]


# Pattern pieces: anchors, `.*`, text with escaped operators, and real expressions, so
# generated patterns land on both sides of `literal_form`.
_PIECES = st.sampled_from(
    [
        *("^", "$", ".*", ".", "\\.", "\\$", "\\^", "\\*", "\\-", "a", "b", "sig", "-"),
        *("_", "1", "[0-9]", "+", "?", "|", "(a)", "\\d", " ", "\\\\"),
    ]
)
_PATTERNS = st.lists(_PIECES, max_size=6).map("".join)
_TEXT = st.text(alphabet="ab1-_.sig$^*\\ \n", max_size=12) | st.from_regex(
    r"[A-Za-z0-9_][A-Za-z0-9._-]{0,20}", fullmatch=True
)


def _compiles(pattern: str) -> bool:
    try:
        re2.compile(pattern)
    except re2.error:
        return False
    return True


@settings(max_examples=300)
@given(st.lists(_PATTERNS.filter(_compiles), min_size=1, max_size=4), st.lists(_TEXT))
@example(["^.*\\.sig$"], ["a\n.sig", "x.sig", ".sig", "sig"])
@example(["^a.*$"], ["a\nb", "ab"])
def test_same_tags_as_one_re2_search_per_pattern(patterns: list[str], tags: list[str]) -> None:
    regexes = [re2.compile(pattern) for pattern in patterns]
    expected = [tag for tag in tags if not any(regex.search(tag) for regex in regexes)]
    assert ExclusionList(patterns).apply(tags) == expected
