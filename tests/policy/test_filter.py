"""filterTags and exclusionList regexes (Flux filter_test.go, TestFilterOutTags, Go Expand)."""

from __future__ import annotations

import time

import pytest

from automation.errors import PolicyError
from automation.policy.filter import (
    InvalidPatternError,
    TagFilter,
    compile_filter,
    compile_pattern,
    exclude_tags,
)

DEBUG_TAGS = [
    "123-123.123.abcd123-debug",
    "123-123.123.abcd123",
    "123-123.123.abcd456-debug",
    "123-123.123.abcd456",
]


@pytest.mark.parametrize(
    ("pattern", "extract", "tags", "keys"),
    [
        ("", "", ["a"], ["a"]),
        ("^ver", "", ["ver1", "ver2", "ver3", "rel1"], ["ver1", "ver2", "ver3"]),
        ("ver(\\d+)", "$1", ["ver1", "ver2", "ver3", "rel1"], ["1", "2", "3"]),
        (
            r"^(123-[0-9]+\.[0-9]+\.[a-z0-9]+-debug)",
            "",
            DEBUG_TAGS,
            ["123-123.123.abcd123-debug", "123-123.123.abcd456-debug"],
        ),
        (
            r"^(?P<tag>123-[0-9]+\.[0-9]+\.[a-z0-9]+[^-debug])",
            "$tag",
            DEBUG_TAGS,
            ["123-123.123.abcd123", "123-123.123.abcd456"],
        ),
        (
            r"^(?P<tag>123-[0-9]+\.[0-9]+\.[a-z0-9]+$)",
            "$tag",
            DEBUG_TAGS,
            ["123-123.123.abcd123", "123-123.123.abcd456"],
        ),
    ],
)
def test_flux_regex_filter_table(
    pattern: str, extract: str, tags: list[str], keys: list[str]
) -> None:
    result = compile_filter(TagFilter(pattern, extract)).apply(tags)
    assert sorted(result.values) == keys


def test_same_extracted_value_later_tag_wins() -> None:
    result = compile_filter(TagFilter("^(?:main|dev)-(\\d+)$", "$1")).apply(["main-7", "dev-7"])
    assert result.values == {"7": "dev-7"}


# Go Regexp.Expand semantics against pattern `(?P<word>[a-z]+)-(\d+)` on "abc-42".
@pytest.mark.parametrize(
    ("template", "expanded"),
    [
        ("$1", "abc"),
        ("${1}", "abc"),
        ("$2", "42"),
        ("$0", "abc-42"),
        ("$word", "abc"),
        ("${word}", "abc"),
        ("$1x", ""),  # the group named "1x"
        ("${1}x", "abcx"),
        ("$word$2", "abc42"),
        ("$$1", "$1"),
        ("$9", ""),  # out of range
        ("$nope", ""),  # unknown name
        ("$01", ""),  # leading zero: a name, not a number
        ("${1", "${1"),  # malformed: the $ is kept as text
        ("$", "$"),
        ("$-", "$-"),
        ("v$2.0.0", "v42.0.0"),
        ("$word_$2", "42"),  # `word_` is one (unknown) name
        ("${word}_$2", "abc_42"),
    ],
)
def test_go_expand(template: str, expanded: str) -> None:
    pattern = compile_pattern(r"(?P<word>[a-z]+)-(\d+)")
    match = pattern.search("xx abc-42 yy")
    assert pattern.expand(template, match) == expanded


def test_unmatched_optional_group_expands_to_nothing() -> None:
    pattern = compile_pattern(r"(a)|(b)")
    assert pattern.expand("[$1][$2]", pattern.search("b")) == "[][b]"


def test_pattern_is_searched_not_full_matched() -> None:
    result = compile_filter(TagFilter("rc", "")).apply(["1.0.0-rc.1", "1.0.0"])
    assert list(result.values) == ["1.0.0-rc.1"]


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[=", "missing ]"),
        ("^test-(.*", "missing )"),
        ("(?=a)b", "look-around"),
        ("(?<!a)b", "look-around"),
        ("(a)\\1", "invalid escape"),
        ("a{1001}", "invalid repetition size"),
    ],
)
def test_invalid_patterns_name_the_pattern(pattern: str, reason: str) -> None:
    with pytest.raises(InvalidPatternError) as info:
        compile_pattern(pattern)
    message = str(info.value)
    assert isinstance(info.value, PolicyError)
    assert message.startswith(
        f"invalid regular expression pattern '{pattern}' in filterTags.pattern"
    )  # as written: backslashes are not doubled
    assert reason in message


def test_hostile_pattern_is_fast() -> None:
    tag = "a" * 50_000 + "!"
    for hostile in ["(a+)+$", "(a|a)*$", "(a|aa)+b", "(.*a){12}$"]:
        pattern = compile_pattern(hostile)
        start = time.perf_counter()
        pattern.search(tag)
        assert time.perf_counter() - start < 0.1, hostile


def test_hostile_filter_over_many_tags_is_fast() -> None:
    tags = [("a" * 128) + f"-{i}!" for i in range(2000)]
    start = time.perf_counter()
    result = compile_filter(TagFilter("^(a+)+$", "$1")).apply(tags)
    assert time.perf_counter() - start < 0.5
    assert result.values == {}


@pytest.mark.parametrize(
    ("patterns", "tags", "kept"),
    [
        ([], ["a", "b", "c", "d"], ["a", "b", "c", "d"]),
        (["[abc]"], ["a", "b", "c", "d"], ["d"]),
        (["[a]", "[d]"], ["a", "b", "c", "d"], ["b", "c"]),
        (
            ["^.*\\-alpha$", "^.*\\.sig$"],
            ["0.1.0", "0.2.0", "0.2.-alpha", "0.3.0", "0.4.0", "0.4.0.sig"],
            ["0.1.0", "0.2.0", "0.3.0", "0.4.0"],
        ),
        (["aaa|ccc"], ["aaa", "bbb", "ccc", "ddd"], ["bbb", "ddd"]),
    ],
)
def test_exclusion_list(patterns: list[str], tags: list[str], kept: list[str]) -> None:
    assert exclude_tags(tags, patterns) == kept


def test_exclusion_list_bad_pattern() -> None:
    with pytest.raises(InvalidPatternError, match=r"'\[=' in exclusionList"):
        exclude_tags(["a"], ["[="])


def test_text_re2_cannot_encode_is_handled() -> None:
    assert compile_pattern("a").search("a\ud800") is None
    with pytest.raises(InvalidPatternError, match="not valid UTF-8"):
        compile_pattern("\ud800")
