"""Building policers from plain values and from the config model (Flux factory_test.go)."""

from __future__ import annotations

from typing import Any

import pytest

from automation.config import ImagePolicySpec
from automation.config.image import PolicyChoice
from automation.errors import PolicyError
from automation.policy.alphabetical import Alphabetical
from automation.policy.factory import (
    AlphabeticalPolicySpec,
    NumericalPolicySpec,
    SemverPolicySpec,
    build_policer,
    compile_policy,
    policer_for,
    policy_spec_of,
)
from automation.policy.filter import InvalidPatternError, TagFilter
from automation.policy.numerical import Numerical
from automation.policy.semver import SemVer


def test_kinds() -> None:
    assert isinstance(build_policer("semver", range="1.0.x"), SemVer)
    assert build_policer("alphabetical") == Alphabetical("asc")
    assert build_policer("numerical", order="desc") == Numerical("desc")


@pytest.mark.parametrize(
    ("kind", "kwargs", "message"),
    [
        ("semver", {"range": "*-*"}, "invalid semver range '*-*'"),
        ("semver", {"range": ""}, "non-empty range"),
        ("semver", {}, "non-empty range"),
        ("", {}, "invalid policy kind ''"),
        ("calver", {}, "invalid policy kind 'calver'"),
    ],
)
def test_invalid(kind: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError, match=message.replace("*", r"\*")):
        build_policer(kind, **kwargs)


def _config_spec(policy: dict[str, Any], **extra: Any) -> ImagePolicySpec:
    data = {"imageRepositoryRef": {"name": "app"}, "policy": policy, **extra}
    return ImagePolicySpec.model_validate(data)


def test_config_model_semver_with_filter() -> None:
    spec = _config_spec(
        {"semver": {"range": ">=0.x"}}, filterTags={"pattern": "^test-(.*)$", "extract": "$1"}
    )
    assert policy_spec_of(spec) == SemverPolicySpec(">=0.x", TagFilter("^test-(.*)$", "$1"))
    compiled = compile_policy(spec)
    assert compiled.tag_filter is not None and compiled.tag_filter.pattern.source == "^test-(.*)$"


def test_config_model_orders() -> None:
    assert policer_for(_config_spec({"alphabetical": {}})) == Alphabetical("asc")
    assert policer_for(_config_spec({"numerical": {"order": "desc"}})) == Numerical("desc")


def test_config_model_orders_keep_their_kind() -> None:
    spec = _config_spec({"numerical": {"order": "desc"}}, filterTags={"pattern": "^b-"})
    assert policy_spec_of(spec) == NumericalPolicySpec("desc", TagFilter("^b-", ""))
    assert policy_spec_of(_config_spec({"alphabetical": {}})) == AlphabeticalPolicySpec("asc")


def test_an_unvalidated_empty_choice_is_an_error() -> None:
    spec = ImagePolicySpec.model_construct(
        policy=PolicyChoice.model_construct(semver=None, alphabetical=None, numerical=None),
        filter_tags=None,
    )
    with pytest.raises(PolicyError, match="exactly one of semver, alphabetical, numerical"):
        compile_policy(spec)


def test_bad_filter_pattern_fails_compilation() -> None:
    with pytest.raises(InvalidPatternError, match="'\\[='"):
        compile_policy(SemverPolicySpec(range="1.0.x", filter=TagFilter("[=")))
