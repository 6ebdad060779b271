"""Pure scheduling decisions: jobs from a config, diffs, first runs, jitter, backoff."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.config import Config, load_config
from automation.daemon.plan import (
    JobKind,
    JobSpec,
    automations_by_policy,
    backoff,
    desired_jobs,
    diff_jobs,
    first_run,
    is_due_now,
    jitter,
    policies_by_repository,
    spread,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def _config(tmp_path: Path, extra: str = "", *, repo_suspend: str = "false") -> Config:
    (tmp_path / "p.yaml").write_text(
        textwrap.dedent(f"""\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {{name: fleet, namespace: apps}}
        spec: {{url: "file:///tmp/none.git"}}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageRepository
        metadata: {{name: app, namespace: apps}}
        spec: {{image: "r.example/app", interval: 5m, suspend: {repo_suspend}}}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImagePolicy
        metadata: {{name: app, namespace: apps}}
        spec:
          imageRepositoryRef: {{name: app}}
          policy: {{semver: {{range: ">=1.0"}}}}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImagePolicy
        metadata: {{name: always, namespace: apps}}
        spec:
          imageRepositoryRef: {{name: app}}
          policy: {{semver: {{range: ">=1.0"}}}}
          digestReflectionPolicy: Always
          interval: 10m
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageUpdateAutomation
        metadata: {{name: fleet, namespace: apps}}
        spec:
          interval: 1h
          sourceRef: {{kind: GitRepository, name: fleet}}
          git: {{commit: {{author: {{name: bot, email: bot@example.com}}}}}}
          update: {{path: ./}}
        """)
        + extra,
    )
    return load_config([tmp_path])


def test_jobs_cover_repositories_always_policies_and_automations(tmp_path: Path) -> None:
    jobs = desired_jobs(_config(tmp_path))
    assert {j: (s.kind, s.interval) for j, s in jobs.items()} == {
        "scan:apps/app": (JobKind.SCAN, timedelta(minutes=5)),
        "policy:apps/always": (JobKind.POLICY, timedelta(minutes=10)),
        "automation:apps/fleet": (JobKind.AUTOMATION, timedelta(hours=1)),
    }
    assert automations_by_policy(_config(tmp_path)) == {
        "apps/always": ("apps/fleet",),
        "apps/app": ("apps/fleet",),
    }
    assert policies_by_repository(_config(tmp_path)) == {"apps/app": ("apps/always", "apps/app")}


def test_suspended_objects_get_no_job(tmp_path: Path) -> None:
    jobs = desired_jobs(_config(tmp_path, repo_suspend="true"))
    assert "scan:apps/app" not in jobs and "automation:apps/fleet" in jobs


def test_a_suspended_automation_is_neither_scheduled_nor_triggered(tmp_path: Path) -> None:
    paused = textwrap.dedent("""\
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageUpdateAutomation
        metadata: {name: paused, namespace: apps}
        spec:
          interval: 1h
          suspend: true
          sourceRef: {kind: GitRepository, name: fleet}
          git: {commit: {author: {name: bot, email: bot@example.com}}}
          update: {path: ./}
        """)
    config = _config(tmp_path, paused)
    assert "automation:apps/paused" not in desired_jobs(config)
    assert automations_by_policy(config)["apps/app"] == ("apps/fleet",)


def test_diff_adds_removes_and_reschedules_changed_specs(tmp_path: Path) -> None:
    old = {
        "scan:a/x": JobSpec(JobKind.SCAN, "a/x", 60 * S, "h1"),
        "scan:a/gone": JobSpec(JobKind.SCAN, "a/gone", 60 * S, "h1"),
        "scan:a/same": JobSpec(JobKind.SCAN, "a/same", 60 * S, "h1"),
    }
    new = {
        "scan:a/x": JobSpec(JobKind.SCAN, "a/x", 30 * S, "h2"),
        "scan:a/same": JobSpec(JobKind.SCAN, "a/same", 60 * S, "h1"),
        "scan:a/new": JobSpec(JobKind.SCAN, "a/new", 60 * S, "h1"),
    }
    changes = diff_jobs(old, new)
    assert [s.job_id for s in changes.added] == ["scan:a/new"]
    assert changes.removed == ("scan:a/gone",)
    assert [s.job_id for s in changes.changed] == ["scan:a/x"]
    assert diff_jobs(new, new).empty


def test_a_spec_edit_changes_the_fingerprint(tmp_path: Path) -> None:
    before = desired_jobs(_config(tmp_path))
    (tmp_path / "p.yaml").write_text(
        (tmp_path / "p.yaml").read_text().replace("update: {path: ./}", "update: {path: ./x}")
    )
    changed = diff_jobs(before, desired_jobs(load_config([tmp_path]))).changed
    assert [s.job_id for s in changed] == ["automation:apps/fleet"]


@pytest.mark.parametrize(
    ("interval", "window"),
    [(timedelta(seconds=10), timedelta(seconds=1)), (timedelta(hours=1), timedelta(seconds=10))],
)
def test_jitter_is_stable_bounded_and_spread(interval: timedelta, window: timedelta) -> None:
    offsets = [jitter(f"ns/repo-{i}", interval) for i in range(1000)]
    assert offsets[:3] == [jitter(f"ns/repo-{i}", interval) for i in range(3)]
    assert all(timedelta(0) <= o < window for o in offsets)
    # A thousand keys spread over the window: no tenth of it holds more than 15 %.
    buckets = [0] * 10
    for o in offsets:
        buckets[int(o / window * 10)] += 1
    assert max(buckets) < 150


@pytest.mark.parametrize(
    ("last", "failed", "expected_wait"),
    [
        (None, False, timedelta(0)),  # never ran: at once
        (NOW - timedelta(minutes=2), False, timedelta(minutes=3)),  # rest of the interval
        (NOW - timedelta(minutes=9), False, timedelta(0)),  # overdue: at once, no catch-up
        (NOW - timedelta(minutes=2), True, timedelta(0)),  # last run failed: retry now
    ],
)
def test_first_run_comes_from_the_state_store(
    last: datetime | None, failed: bool, expected_wait: timedelta
) -> None:
    interval = timedelta(minutes=5)
    when = first_run(NOW, "apps/app", interval, last, failed)
    assert when == NOW + expected_wait + jitter("apps/app", interval)


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 0), (1, 5), (2, 10), (3, 20), (7, 320), (8, 600), (50, 600), (10**6, 600)],
)
def test_backoff_doubles_up_to_the_cap(failures: int, delay: int) -> None:
    assert backoff(failures) == delay * S


def test_spread_moves_bunched_phases_over_the_whole_interval() -> None:
    interval = timedelta(seconds=30)
    waits = [spread(f"ns/repo-{i}", interval) for i in range(1000)]
    assert waits[0] == spread("ns/repo-0", interval)
    assert all(interval / 2 <= w < interval * 3 / 2 for w in waits)
    # Phases after the spread: no tenth of the interval holds more than 15 % of the objects.
    buckets = [0] * 10
    for w in waits:
        buckets[int((w % interval) / interval * 10)] += 1
    assert max(buckets) < 150


@pytest.mark.parametrize(
    ("last", "failed", "due"),
    [
        (None, False, True),
        (NOW - timedelta(minutes=2), False, False),
        (NOW - timedelta(minutes=5), False, True),
        (NOW - timedelta(minutes=2), True, True),
    ],
)
def test_is_due_now(last: datetime | None, failed: bool, due: bool) -> None:
    assert is_due_now(NOW, last, timedelta(minutes=5), failed) is due


def test_jitter_cap_zero_means_no_spread() -> None:
    assert jitter("ns/a", timedelta(hours=1), timedelta(0)) == timedelta(0)


def test_backoff_takes_its_base_and_cap() -> None:
    assert backoff(3, base=S, cap=3 * S) == 3 * S
