"""select_latest / explain: Flux applyPolicy and controller tables, ties, messages."""

from __future__ import annotations

import pytest

from automation.errors import NoMatchingTagError, PolicyError
from automation.policy.factory import (
    AlphabeticalPolicySpec,
    NumericalPolicySpec,
    PolicySpec,
    SemverPolicySpec,
)
from automation.policy.filter import TagFilter
from automation.policy.numerical import NonNumericTagError
from automation.policy.selection import explain, select_latest

# Flux imagepolicy_controller_test.go TestImagePolicyReconciler_applyPolicy
APPLY = [
    (SemverPolicySpec(range="1.0.x"), ["1.0.0", "2.0.0", "1.0.1", "1.2.0"], "1.0.1"),
    (SemverPolicySpec(range="v1.0.x"), ["v1.0.0", "v2.0.0", "v1.0.1", "v1.2.0"], "v1.0.1"),
    (SemverPolicySpec(range="v1.0.x"), ["1.0.0", "2.0.0", "1.0.1", "1.2.0"], "1.0.1"),
    (SemverPolicySpec(range="1.0.x"), ["v1.0.0", "v2.0.0", "v1.0.1", "v1.2.0"], "v1.0.1"),
    (
        NumericalPolicySpec(order="asc", filter=TagFilter(r"1.0.0-rc\.(?P<num>[0-9]+)", "$num")),
        ["1.0.0", "1.0.0-rc.1", "1.0.0-rc.2", "1.0.0-rc.3", "1.0.1-rc.2"],
        "1.0.0-rc.3",
    ),
    (
        AlphabeticalPolicySpec(order="asc", filter=TagFilter("foo-(?P<word>[a-z]+)", "$word")),
        ["foo-aaa", "bar-bbb", "foo-zzz", "baz-nnn", "foo-ooo"],
        "foo-zzz",
    ),
    # Flux policy_test.go (envtest) cases
    (
        SemverPolicySpec(range="1.0.x"),
        ["0.1.0", "0.1.1", "0.2.0", "1.0.0", "1.0.1", "1.0.2", "1.1.0-alpha"],
        "1.0.2",
    ),
    (
        AlphabeticalPolicySpec(),
        ["xenial", "yakkety", "zesty", "artful", "bionic"],
        "zesty",
    ),
    (
        SemverPolicySpec(range=">=0.x", filter=TagFilter("^test-(.*)$", "$1")),
        ["test-0.1.0", "test-0.1.1", "dev-0.2.0", "1.0.0", "1.0.1", "1.0.2", "1.1.0-alpha"],
        "test-0.1.1",
    ),
    # fluxcd/pkg version.Sort: `>= 1.2.0, < 1.3.0` over mixed tags -> 1.2.4 family
    (
        SemverPolicySpec(range=">= 1.2.0, < 1.3.0"),
        ["v1.2.0", "v1.2.3", "v1.3.0", "1.2.4", "v1.1.0", "something-invalid", "v1.2.4"],
        "v1.2.4",
    ),
]


@pytest.mark.parametrize(("spec", "tags", "expected"), APPLY)
def test_apply_policy(spec: PolicySpec, tags: list[str], expected: str) -> None:
    assert select_latest(spec, tags).tag == expected
    assert select_latest(spec, list(reversed(tags))).tag == expected  # input order is irrelevant


def test_selection_reports_value_and_counts() -> None:
    spec = NumericalPolicySpec(filter=TagFilter(r"^build-(\d+)$", "$1"))
    found = select_latest(spec, ["build-9", "build-10", "latest", "build-10"])
    assert (found.tag, found.value, found.candidates, found.total) == ("build-10", "10", 2, 3)


@pytest.mark.parametrize(
    ("spec", "tags", "error", "message"),
    [
        (SemverPolicySpec(range="1.0.x"), [], NoMatchingTagError, "has no tags"),
        (
            SemverPolicySpec(range="1.0.x", filter=TagFilter("[=")),
            ["1.0.0", "1.0.1"],
            PolicyError,
            "invalid regular expression pattern '\\[='",
        ),
        (
            SemverPolicySpec(range="^test-(.*"),
            ["1.0.0"],
            PolicyError,
            "invalid semver range",
        ),
        (
            SemverPolicySpec(range="5.x", filter=TagFilter("^v")),
            ["v1.0.0", "v1.1", "latest", "v4.9.9", "1.0.0"],
            NoMatchingTagError,
            "no tag satisfies semver range '5.x' \\(5 tags, 3 matched filterTags.pattern '\\^v', "
            "2 parsed as versions\\)",
        ),
        (
            AlphabeticalPolicySpec(filter=TagFilter("^nightly-")),
            ["v1", "v2"],
            NoMatchingTagError,
            "alphabetical order asc \\(2 tags, 0 matched",
        ),
        (NumericalPolicySpec(), ["1", "latest"], NonNumericTagError, "'latest'"),
    ],
)
def test_failures(spec: PolicySpec, tags: list[str], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        select_latest(spec, tags)


def test_ties_without_filter_first_in_descending_order_wins() -> None:
    # descending byte order puts "v1.0.0" before "1.0.0+b1" and "1.0.0"
    assert select_latest(SemverPolicySpec(range="1.x"), ["1.0.0", "1.0.0+b1", "v1.0.0"]).tag == (
        "v1.0.0"
    )


def test_ties_with_filter_later_input_wins() -> None:
    spec = SemverPolicySpec(range="1.x", filter=TagFilter(r"^(?:main|dev|rel)-(.*)$", "$1"))
    # all three extract to "1.2.0": the byte-wise smallest original ("dev-1.2.0") wins
    assert (
        select_latest(spec, ["main-1.2.0", "rel-1.2.0", "dev-1.2.0", "rel-1.1.0"]).tag
        == "dev-1.2.0"
    )


def test_explain_gives_every_tag_a_reason() -> None:
    spec = SemverPolicySpec(range="1.x", filter=TagFilter(r"^(?:main|dev)-(.*)$", "$1"))
    tags = [
        "main-1.2.0",
        "dev-1.2.0",
        "main-1.1.0",
        "main-2.0.0",
        "main-1.3.0-rc.1",
        "main-x",
        "pr-9",
    ]
    explanation = explain(spec, tags)
    assert explanation.tag == "dev-1.2.0"
    assert explanation.error is None
    assert "semver range '1.x' on tags matching" in explanation.policy
    verdicts = {v.tag: (v.outcome, v.reason) for v in explanation.verdicts}
    assert [v.tag for v in explanation.verdicts] == sorted(tags, reverse=True)
    assert verdicts["dev-1.2.0"] == ("selected", "latest")
    assert verdicts["main-1.2.0"][0] == "dropped" and "'dev-1.2.0'" in verdicts["main-1.2.0"][1]
    assert verdicts["main-1.1.0"] == ("candidate", "not the latest")
    assert verdicts["main-2.0.0"] == ("dropped", "outside range '1.x'")
    assert "prerelease excluded" in verdicts["main-1.3.0-rc.1"][1]
    assert verdicts["main-x"][1].startswith("not a version")
    assert verdicts["pr-9"][1].startswith("filtered out by pattern")


def test_explain_reports_failures_without_raising() -> None:
    explanation = explain(NumericalPolicySpec(), ["1", "2", "latest"])
    assert explanation.tag is None
    assert explanation.error is not None and "'latest'" in explanation.error
    reasons = {v.tag: v.reason for v in explanation.verdicts}
    assert reasons["latest"] == "not a number (invalid syntax)"
    assert reasons["2"] == "not the latest"

    empty = explain(SemverPolicySpec(range="9.x"), ["1.0.0"])
    assert empty.tag is None and empty.error is not None and "1 parsed as versions" in empty.error


def test_explain_raises_for_an_invalid_policy() -> None:
    with pytest.raises(PolicyError):
        explain(SemverPolicySpec(range=">=1.0 <"), ["1.0.0"])
