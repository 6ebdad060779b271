"""Automation runs decided before any git work: refs to write, suspended, not due, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.config import Config, ImageUpdateAutomation, load_config
from automation.reference import LatestRef
from automation.state import AutomationRecord, PolicyRecord, StateStore, open_store
from automation.steps.automate import policy_refs, run_automation

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
OLD = LatestRef("ghcr.io/org/app", "1.0.0")
NEW = LatestRef("ghcr.io/org/app", "1.1.0")
POLICIES = """\
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: app, namespace: apps}
spec: {image: ghcr.io/org/app, interval: 1h}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: app, namespace: apps}
spec:
  imageRepositoryRef: {name: app}
  policy: {semver: {range: "^1.0"}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet, namespace: apps}
spec: {url: "file:///nonexistent/fleet.git", ref: {branch: main}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: fleet, namespace: apps}
spec:
  interval: 1h
  suspend: SUSPEND
  sourceRef: {kind: GitRepository, name: fleet}
  git:
    commit: {author: {name: bot, email: bot@example.com}}
"""


def world(
    tmp_path: Path, *, suspend: bool = False
) -> tuple[Config, StateStore, ImageUpdateAutomation]:
    (tmp_path / "p.yaml").write_text(POLICIES.replace("SUSPEND", str(suspend).lower()))
    config = load_config([tmp_path / "p.yaml"])
    store = open_store(tmp_path / "state.db")
    store.record_policy(PolicyRecord("apps/app", latest_ref=OLD), reason="first", now=NOW)
    store.record_policy(PolicyRecord("apps/app", latest_ref=NEW), reason="new tag", now=NOW)
    return config, store, next(iter(config.automations.values()))


def test_policy_refs_are_by_policy_name_and_a_rollback_pin_wins(tmp_path: Path) -> None:
    config, store, auto = world(tmp_path)
    assert policy_refs(config, store, auto) == {"app": NEW}
    first = store.history("apps/app")[0]
    store.set_pin("apps/app", first.generation)
    assert policy_refs(config, store, auto) == {"app": OLD}


def test_a_suspended_automation_is_skipped(tmp_path: Path) -> None:
    config, store, auto = world(tmp_path, suspend=True)
    outcome = run_automation(config, store, auto, tmp_path / "cache", NOW)
    assert outcome.skipped == "suspended" and store.get_automation("apps/fleet") is None


@pytest.mark.parametrize(
    ("last_run", "observed", "due"),
    [
        (NOW - timedelta(minutes=30), {"app": NEW}, False),
        (NOW - timedelta(hours=1), {"app": NEW}, True),  # the interval has passed
        (NOW - timedelta(minutes=30), {"app": OLD}, True),  # a policy moved
    ],
)
def test_due_when_the_interval_passed_or_a_ref_moved(
    tmp_path: Path, last_run: datetime, observed: dict[str, LatestRef], due: bool
) -> None:
    config, store, auto = world(tmp_path)
    store.put_automation(
        AutomationRecord("apps/fleet", last_run_time=last_run, observed_policies=observed)
    )
    outcome = run_automation(config, store, auto, tmp_path / "cache", NOW)
    if not due:
        assert outcome.skipped == "not due" and not outcome.error
    else:  # due: the git work starts, and fails on the missing remote
        assert outcome.error and not outcome.skipped


def test_a_failure_is_recorded_and_counted(tmp_path: Path) -> None:
    config, store, auto = world(tmp_path)
    for _ in range(2):
        outcome = run_automation(config, store, auto, tmp_path / "cache", NOW)
    record = store.get_automation("apps/fleet")
    assert record is not None and record.failures == 2
    assert record.last_error == outcome.error and record.last_run_time == NOW
