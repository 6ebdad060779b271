"""The daemon's links: failures in a row back a job off, a success resets it, and a policy
whose latestRef moved triggers the automations that select it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from automation.config import load_config
from automation.daemon.chain import Chain
from automation.daemon.plan import JobKind, backoff, job_id
from automation.daemon.scheduler import Scheduler
from automation.reference import LatestRef
from automation.state import open_store
from automation.steps.evaluate import PolicyOutcome

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
POLICIES = """\
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
  sourceRef: {kind: GitRepository, name: fleet}
  git:
    commit: {author: {name: bot, email: bot@example.com}}
"""


class RecordingScheduler(Scheduler):
    def __init__(self) -> None:
        super().__init__()
        self.triggered: list[str] = []

    def trigger_now(self, job: str) -> None:
        self.triggered.append(job)


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    (tmp_path / "p.yaml").write_text(POLICIES)
    config = load_config([tmp_path / "p.yaml"])
    store = open_store(tmp_path / "state.db")
    made = Chain(
        config, store, RecordingScheduler(), tmp_path / "cache", lambda: NOW, git_workers=1
    )
    yield made
    made.close()


def test_failures_in_a_row_back_off_and_a_success_resets(chain: Chain) -> None:
    delays = [chain._outcome(JobKind.SCAN, "apps/app", "HTTP 503") for _ in range(3)]
    assert delays == [backoff(1), backoff(2), backoff(3)]
    assert chain.failures[job_id(JobKind.SCAN, "apps/app")] == 3
    assert chain._outcome(JobKind.SCAN, "apps/app", "") is None
    assert job_id(JobKind.SCAN, "apps/app") not in chain.failures


def test_a_changed_policy_triggers_its_automations(chain: Chain) -> None:
    outcome = PolicyOutcome("apps/app", latest=LatestRef("ghcr.io/org/app", "1.1.0"))
    chain._policy_changed(outcome)
    assert isinstance(chain.scheduler, RecordingScheduler)
    assert chain.scheduler.triggered == [job_id(JobKind.AUTOMATION, "apps/fleet")]


def test_a_failing_automation_backs_off_and_a_removed_one_does_nothing(chain: Chain) -> None:
    delay = asyncio.run(chain.automate("apps/fleet"))
    assert delay == backoff(1)
    assert asyncio.run(chain.automate("apps/gone")) is None
    chain.stopping = True
    assert asyncio.run(chain.automate("apps/fleet")) is None
    assert chain.failures[job_id(JobKind.AUTOMATION, "apps/fleet")] == 1
