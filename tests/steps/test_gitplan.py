"""Planning an automation's git work: checkout precedence, push branch, semver checkout tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.config import load_config
from automation.errors import StalledError
from automation.git import CheckoutError, CheckoutRef
from automation.steps.gitplan import GitPlan, git_plan, highest_tag_in_range

SOURCE = (
    "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: fleet}\n"
    "spec:\n  url: https://git.example/fleet.git\n  interval: 1m\n{ref}"
)
AUTOMATION = (
    "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageUpdateAutomation\n"
    "metadata: {name: fleet}\nspec:\n  interval: 1m\n"
    "  sourceRef: {kind: GitRepository, name: fleet}\n"
    "  git:\n    commit: {author: {name: bot, email: bot@example.com}}\n{git}"
)


def plan_for(tmp_path: Path, ref: str = "", git: str = "") -> GitPlan:
    (tmp_path / "a.yaml").write_text(
        SOURCE.replace("{ref}", ref) + "---\n" + AUTOMATION.replace("{git}", git)
    )
    config = load_config([tmp_path / "a.yaml"])
    return git_plan(config, next(iter(config.automations.values())))


def test_the_automation_checkout_ref_wins_over_the_source_ref(tmp_path: Path) -> None:
    plan = plan_for(
        tmp_path,
        ref="  ref: {branch: main}\n",
        git="    checkout: {ref: {tag: v1.0.0}}\n    push: {branch: release}\n",
    )
    assert plan.checkout == CheckoutRef(tag="v1.0.0")
    assert plan.target.branch == "release"


def test_the_push_branch_defaults_to_the_checkout_branch(tmp_path: Path) -> None:
    plan = plan_for(tmp_path, ref="  ref: {branch: main}\n")
    assert plan.target.branch == "main"
    assert plan.branch == "main"


def test_no_push_branch_and_a_tag_checkout_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StalledError, match=r"set spec\.git\.push\.branch"):
        plan_for(tmp_path, ref="  ref: {tag: v1.0.0}\n")


def test_highest_tag_in_range_picks_the_highest_admitted_version() -> None:
    tags = ["v1.1.0", "v1.10.0-rc.1", "v1.2.0", "v2.0.0", "latest"]
    assert highest_tag_in_range(">=1.0.0 <1.5.0", tags) == "v1.2.0"
    assert highest_tag_in_range("^2", tags) == "v2.0.0"
    assert highest_tag_in_range(">=3", tags) is None


def test_a_bad_checkout_range_is_a_checkout_error() -> None:
    with pytest.raises(CheckoutError, match="checkout semver range 'not a range'"):
        highest_tag_in_range("not a range", ["v1.0.0"])
