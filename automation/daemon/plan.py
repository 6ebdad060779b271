"""Pure scheduling decisions, with `now` as a parameter: jobs, first runs, jitter, backoff.

In: a `Config` (and the times the state store remembers). Out: `JobSpec` values keyed by job
id, the difference between two job sets, and delays. Nothing here touches a clock or a thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from automation.config import Config, ObjectKey
from automation.errors import AutomationError
from automation.steps.due import next_due, spec_hash

# First runs are spread over a tenth of the interval, at most this long, so a thousand
# repositories due at start-up do not all fire in the same second.
JITTER_FRACTION = 0.1
JITTER_CAP = timedelta(seconds=10)
BACKOFF_BASE = timedelta(seconds=5)
BACKOFF_CAP = timedelta(minutes=10)


class JobKind(StrEnum):
    SCAN = "scan"
    POLICY = "policy"
    AUTOMATION = "automation"


@dataclass(frozen=True)
class JobSpec:
    kind: JobKind
    key: str  # "namespace/name" of the object
    interval: timedelta
    fingerprint: str  # changes whenever the object's spec does

    @property
    def job_id(self) -> str:
        return job_id(self.kind, self.key)


@dataclass(frozen=True)
class JobChanges:
    added: tuple[JobSpec, ...] = ()
    removed: tuple[str, ...] = ()  # job ids
    changed: tuple[JobSpec, ...] = ()  # same id, new spec (interval or content)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def job_id(kind: JobKind, key: str) -> str:
    return f"{kind.value}:{key}"


def desired_jobs(config: Config) -> dict[str, JobSpec]:
    """One job per unsuspended ImageRepository, `Always` ImagePolicy and automation."""
    jobs: list[JobSpec] = []
    for key, repo in config.image_repositories.items():
        if not repo.spec.suspend:
            jobs.append(JobSpec(JobKind.SCAN, str(key), repo.spec.interval, spec_hash(repo.spec)))
    for key, policy in config.image_policies.items():
        interval = policy.spec.interval
        if policy.spec.suspend or interval is None:
            continue
        if policy.spec.digest_reflection_policy == "Always":
            jobs.append(JobSpec(JobKind.POLICY, str(key), interval, spec_hash(policy.spec)))
    for key, auto in config.automations.items():
        if auto.spec.suspend:
            continue
        try:
            source = spec_hash(config.source_for(auto).spec)
        except AutomationError:
            source = "missing source"  # the run reports it; keep the job so it does
        fingerprint = spec_hash(auto.spec, source)
        jobs.append(JobSpec(JobKind.AUTOMATION, str(key), auto.spec.interval, fingerprint))
    return {job.job_id: job for job in jobs}


def diff_jobs(current: Mapping[str, JobSpec], desired: Mapping[str, JobSpec]) -> JobChanges:
    """What to add, remove and reschedule to go from `current` to `desired`."""
    return JobChanges(
        added=tuple(desired[i] for i in sorted(desired.keys() - current.keys())),
        removed=tuple(sorted(current.keys() - desired.keys())),
        changed=tuple(
            desired[i] for i in sorted(desired.keys() & current.keys()) if desired[i] != current[i]
        ),
    )


def _fraction(text: str) -> float:
    """A stable number in [0, 1) from a hash of `text`."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") / 2**64


def jitter(key: str, interval: timedelta, cap: timedelta = JITTER_CAP) -> timedelta:
    """A stable offset in [0, min(interval/10, cap)) from a hash of the key."""
    return min(interval * JITTER_FRACTION, cap) * _fraction(key)


def is_due_now(now: datetime, last: datetime | None, interval: timedelta, failed: bool) -> bool:
    return failed or next_due(now, last, interval) == timedelta(0)


def spread(key: str, interval: timedelta) -> timedelta:
    """The wait after the first run of an object that was due at start-up: interval * [0.5, 1.5).

    Objects due at start-up all run within the small jitter window; left there, they would
    stay bunched in that window every interval. One stretched or shortened wait, stable per
    key, spreads their phases over the whole interval; later runs keep the interval.
    """
    return interval * (0.5 + _fraction(f"phase:{key}"))


def first_run(
    now: datetime,
    key: str,
    interval: timedelta,
    last: datetime | None,
    failed: bool,
    cap: timedelta = JITTER_CAP,
) -> datetime:
    """When a job first fires: when its interval since the last run (from the state store)
    has elapsed, at once if it never ran or last failed; plus the key's jitter."""
    wait = (
        timedelta(0) if is_due_now(now, last, interval, failed) else next_due(now, last, interval)
    )
    return now + wait + jitter(key, interval, cap)


def backoff(
    failures: int, *, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP
) -> timedelta:
    """How long an object waits after its `failures`-th failure in a row: base * 2^(n-1),
    at most `cap`."""
    if failures <= 0:
        return timedelta(0)
    return min(cap, base * (1 << min(failures - 1, 32)))


def automations_by_policy(config: Config) -> dict[str, tuple[str, ...]]:
    """Policy key -> keys of the unsuspended automations that use it (to trigger on change)."""
    index: dict[str, list[str]] = {}
    for key, auto in sorted(config.automations.items()):
        if auto.spec.suspend:
            continue
        for policy in config.policies_for(auto):
            index.setdefault(str(policy), []).append(str(key))
    return {policy: tuple(autos) for policy, autos in index.items()}


def policies_by_repository(config: Config) -> dict[str, tuple[str, ...]]:
    """Repository key -> keys of the unsuspended policies that read its tags."""
    index: dict[str, list[str]] = {}
    for key, policy in sorted(config.image_policies.items()):
        if policy.spec.suspend:
            continue
        repo = ObjectKey(policy.repository_namespace, policy.spec.image_repository_ref.name)
        index.setdefault(str(repo), []).append(str(key))
    return {repo: tuple(keys) for repo, keys in index.items()}
