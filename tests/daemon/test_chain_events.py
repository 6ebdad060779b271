"""The daemon's links send Flux events: a changed policy, an automation failing (with its
count in a row) and recovering; delivery goes through the dispatcher, never the link."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from automation.config import load_config
from automation.daemon.chain import Chain
from automation.daemon.plan import JobKind
from automation.notify.delivery import Dispatcher
from automation.notify.notifier import Notifier
from automation.notify.payloads import Delivery
from automation.reference import LatestRef
from automation.state import open_store
from automation.steps.evaluate import PolicyOutcome
from tests.daemon.test_chain import NOW, POLICIES, RecordingScheduler

NOTIFY = """\
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: hook, namespace: apps}
spec: {type: generic, address: "http://127.0.0.1:9/hook"}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: all, namespace: apps}
spec:
  providerRef: {name: hook}
  eventSources: [{kind: ImagePolicy, name: "*"}, {kind: ImageUpdateAutomation, name: "*"}]
"""


@pytest.fixture
def sent() -> list[dict[str, object]]:
    return []


@pytest.fixture
def chain(tmp_path: Path, sent: list[dict[str, object]]) -> Iterator[Chain]:
    (tmp_path / "p.yaml").write_text(POLICIES + NOTIFY)
    config = load_config([tmp_path / "p.yaml"])
    made = Chain(
        config,
        open_store(tmp_path / "state.db"),
        RecordingScheduler(),
        tmp_path / "cache",
        lambda: NOW,
        git_workers=1,
    )

    def record(delivery: Delivery) -> None:
        sent.append(json.loads(delivery.body))

    dispatcher = Dispatcher(record, dedupe_window=0)  # deliveries run in the test's thread
    made.notifier = Notifier(config, dispatcher)
    dispatcher.submit = dispatcher.deliver  # type: ignore[method-assign]
    yield made
    made.close()


def test_policy_change_failures_and_recovery(chain: Chain, sent: list[dict[str, object]]) -> None:
    chain._policy_changed(
        PolicyOutcome("apps/app", LatestRef("ghcr.io/org/app", "1.1.0"), changed=True)
    )
    assert (
        sent[-1]["message"] == "Latest image tag for ghcr.io/org/app updated from nothing to 1.1.0"
    )
    asyncio.run(chain.automate("apps/fleet"))  # the remote does not exist: a failure
    asyncio.run(chain.automate("apps/fleet"))
    failures = [e for e in sent if e["severity"] == "error"]
    assert [e["metadata"]["failures"] for e in failures] == ["1", "2"]  # type: ignore[index]
    assert failures[0]["reason"] == "ReconciliationFailed"
    assert failures[0]["involvedObject"]["kind"] == "ImageUpdateAutomation"  # type: ignore[index]
    chain._outcome(JobKind.AUTOMATION, "apps/fleet", "")
    assert sent[-1]["message"] == "recovered after 2 failure(s)" and sent[-1]["severity"] == "info"
    chain._outcome(JobKind.AUTOMATION, "apps/fleet", "")
    assert len(sent) == 4  # a success after a success says nothing


def test_a_stalled_object_is_reported_once_per_distinct_error(
    chain: Chain, sent: list[dict[str, object]]
) -> None:
    for _ in range(3):  # retried with backoff, but the config is still wrong
        chain._outcome(JobKind.POLICY, "apps/app", "spec.policy: invalid range", stalled=True)
    [stalled] = sent
    assert (stalled["reason"], stalled["severity"]) == ("Stalled", "error")
    assert stalled["message"] == "spec.policy: invalid range"
    assert "metadata" not in stalled  # no count in a row: a repeat is the same event
    chain._outcome(JobKind.POLICY, "apps/app", "spec.policy: another mistake", stalled=True)
    assert len(sent) == 2 and sent[-1]["message"] == "spec.policy: another mistake"
    chain._outcome(JobKind.POLICY, "apps/app", "HTTP 503", stalled=False)  # transient: each time
    chain._outcome(JobKind.POLICY, "apps/app", "HTTP 503", stalled=False)
    assert [e["reason"] for e in sent[2:]] == ["ReconciliationFailed"] * 2
    chain._outcome(JobKind.POLICY, "apps/app", "")
    assert sent[-1]["message"] == "recovered after 6 failure(s)"
    chain._outcome(JobKind.POLICY, "apps/app", "spec.policy: invalid range", stalled=True)
    assert sent[-1]["reason"] == "Stalled"  # stalled again after a recovery: news again
