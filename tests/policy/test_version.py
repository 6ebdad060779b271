"""Version parsing and precedence: Flux's tag rule and Masterminds' loose parser."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automation.policy.version import VersionError, parse_loose, parse_tag

# fluxcd/pkg version/version_test.go TestParseVersion (tag -> accepted?).
FLUX_PARSE = [
    ("v1.2.3", True),
    ("v2025.07.03", True),
    ("v1.0", False),
    ("v1", False),
    ("v1.2.beta", False),
    ("v1.2-5", False),
    ("v1.2-beta5", False),
    ("\nv1.2", False),
    ("v1.2.0-x.Y.0+metadata", True),
    ("v1.2.0-x.Y.0+metadata-width-hypen", True),
    ("v1.2.3-rc1-with-hypen", True),
    ("v1.2.3.4", False),
    # from the policy tables: a 4th number or junk after the patch is not a version
    ("1.0.0.1", False),
    ("1.0.0p", False),
    ("b1.2.3", False),
    ("1.2.3-alpha.01", False),
    ("1.2.3\n", False),
    ("latest", False),
]


@pytest.mark.parametrize(("tag", "ok"), FLUX_PARSE)
def test_parse_tag_follows_flux(tag: str, ok: bool) -> None:
    if ok:
        assert parse_tag(tag).original == tag
    else:
        with pytest.raises(VersionError):
            parse_tag(tag)


# Masterminds version_test.go TestNewVersion (loose parser; error expected?).
LOOSE_PARSE = [
    ("1.2.3", False),
    ("1.2.3-alpha.01", True),
    ("1.2.3+test.01", False),
    ("1.2.3-alpha.-1", False),
    ("v1.2.3", False),
    ("1.0", False),
    ("v1.0", False),
    ("1", False),
    ("v1", False),
    ("1.2.beta", True),
    ("v1.2.beta", True),
    ("foo", True),
    ("1.2-5", False),
    ("v1.2-5", False),
    ("1.2-beta.5", False),
    ("v1.2-beta.5", False),
    ("\n1.2", True),
    ("\nv1.2", True),
    ("1.2.0-x.Y.0+metadata", False),
    ("v1.2.0-x.Y.0+metadata", False),
    ("1.2.0-x.Y.0+metadata-width-hypen", False),
    ("v1.2.0-x.Y.0+metadata-width-hypen", False),
    ("1.2.3-rc1-with-hypen", False),
    ("v1.2.3-rc1-with-hypen", False),
    ("1.2.3.4", True),
    ("v1.2.3.4", True),
    ("1.2.2147483648", False),
    ("1.2147483648.3", False),
    ("2147483648.3.0", False),
    ("12.3.4.1234", True),
    ("12.23.4.1234", True),
    ("12.3.34.1234", True),
    ("20221209-update-renovatejson-v4", False),
    ("18446744073709551616.0.0", True),  # beyond uint64
    ("", True),
]


@pytest.mark.parametrize(("text", "error"), LOOSE_PARSE)
def test_parse_loose_follows_masterminds(text: str, error: bool) -> None:
    if error:
        with pytest.raises(VersionError):
            parse_loose(text)
    else:
        assert parse_loose(text).original == text


@pytest.mark.parametrize(
    ("text", "normal"),
    [("v1.0", "1.0.0"), ("1", "1.0.0"), ("v1.2-5", "1.2.0-5"), ("v2025.07.03", "2025.7.3")],
)
def test_loose_coercion(text: str, normal: str) -> None:
    assert str(parse_loose(text)) == normal


# Masterminds TestCompare plus TestGreaterThan rows.
COMPARE = [
    ("1.2.3", "1.5.1", -1),
    ("2.2.3", "1.5.1", 1),
    ("2.2.3", "2.2.2", 1),
    ("3.2-beta", "3.2-beta", 0),
    ("1.3", "1.1.4", 1),
    ("4.2", "4.2-beta", 1),
    ("4.2-beta", "4.2", -1),
    ("4.2-alpha", "4.2-beta", -1),
    ("4.2-alpha", "4.2-alpha", 0),
    ("4.2-beta.2", "4.2-beta.1", 1),
    ("4.2-beta2", "4.2-beta1", 1),
    ("4.2-beta", "4.2-beta.2", -1),
    ("4.2-beta", "4.2-beta.foo", -1),
    ("4.2-beta.2", "4.2-beta", 1),
    ("4.2-beta.foo", "4.2-beta", 1),
    ("1.2+bar", "1.2+baz", 0),
    ("1.0.0-beta.4", "1.0.0-beta.-2", -1),
    ("1.0.0-beta.-2", "1.0.0-beta.-3", -1),
    ("1.0.0-beta.-3", "1.0.0-beta.5", 1),
    ("3.2.0-beta.1", "3.2.0-beta.5", -1),
    ("7.43.0-SNAPSHOT.99", "7.43.0-SNAPSHOT.103", -1),
    ("7.43.0-SNAPSHOT.FOO", "7.43.0-SNAPSHOT.103", 1),
    ("1.0.0-rc9", "1.0.0-rc10", 1),  # words compare byte-wise
    ("1.0.0-rc.10", "1.0.0-rc.9", 1),  # numbers numerically
    ("v1.0.0", "1.0.0+build.7", 0),
]


@pytest.mark.parametrize(("a", "b", "expected"), COMPARE)
def test_precedence(a: str, b: str, expected: int) -> None:
    va, vb = parse_loose(a), parse_loose(b)
    assert va.compare(vb) == expected
    assert vb.compare(va) == -expected
    assert (va == vb) is (expected == 0)
    assert (va > vb) is (expected == 1)


def test_original_string_is_kept_but_not_compared() -> None:
    a, b = parse_tag("v1.2.3+meta"), parse_tag("1.2.3")
    assert a == b and hash(a) == hash(b)
    assert (a.original, a.metadata, str(a)) == ("v1.2.3+meta", "meta", "1.2.3+meta")


_versions = st.builds(
    lambda a, b, c, pre: f"{a}.{b}.{c}" + (f"-{pre}" if pre else ""),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 3),
    st.sampled_from(["", "alpha", "alpha.1", "alpha.10", "beta", "rc.2", "rc9", "1", "2.a"]),
)


@given(st.lists(_versions, min_size=1, max_size=8))
def test_sorting_is_consistent(texts: list[str]) -> None:
    versions = sorted(parse_loose(t) for t in texts)
    for a, b in itertools.pairwise(versions):
        assert a.compare(b) <= 0
        assert b.compare(a) >= 0
    assert max(versions) == versions[-1]
