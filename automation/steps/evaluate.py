"""Evaluate ImagePolicies: stored tags -> selected tag -> digest per reflection policy -> state.

In: config, state (tags from the last scan, the stored refs), a digest resolver (registry HEAD),
`now`. Out: one `PolicyOutcome` per policy; refs and history written to the state store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from automation.config import Config, ImagePolicy, ImageRepository
from automation.errors import AutomationError, NoMatchingTagError, StalledError, StateError
from automation.policy import (
    DigestAction,
    decide_digest,
    next_previous,
    ready_message,
)
from automation.policy.semver import is_downgrade
from automation.reference import LatestRef
from automation.sourcelinks import SourceChange
from automation.state import PolicyRecord, StateStore
from automation.steps.due import interval_elapsed, spec_hash
from automation.steps.gates import Gate, Inspector, build_gates, held_note, select_eligible
from automation.steps.sources import SourceReader, source_change

log = logging.getLogger(__name__)

DigestResolver = Callable[[ImageRepository, str], Awaitable[str]]


@dataclass(frozen=True)
class PolicyOutcome:
    key: str
    latest: LatestRef | None = None
    previous: LatestRef | None = None
    changed: bool = False
    reason: str = ""
    error: str = ""
    skipped: str = ""  # why nothing was evaluated (suspended, not due, no scan yet)
    source: SourceChange | None = None  # on a new selection: both images' source labels
    stalled: bool = False  # the error is the configuration's (StalledError): retrying won't help


def policy_hash(policy: ImagePolicy, repo: ImageRepository) -> str:
    return spec_hash(policy.spec, repo.spec.image)


def is_due(
    policy: ImagePolicy,
    repo_revision: str,
    record: PolicyRecord | None,
    current_hash: str,
    now: datetime,
    force: bool,
) -> bool:
    """Re-evaluate when forced, never evaluated, tags or spec changed, or Always is due.

    A policy with release gates is due every time: a held tag becomes eligible with time
    alone (its age) or with a signature pushed later, without any new tag.
    """
    if force or record is None or record.latest_ref is None or record.last_error:
        return True
    gated = policy.signature_secret or policy.keyless_root_secret
    if policy.min_release_age is not None or gated is not None:
        return True
    if record.repository_revision != repo_revision or record.spec_hash != current_hash:
        return True
    interval = policy.spec.interval
    if policy.spec.digest_reflection_policy == "Always" and interval is not None:
        return interval_elapsed(now, record.evaluated_time, interval)
    return False


def change_reason(old: PolicyRecord | None, new: LatestRef, new_hash: str) -> str:
    """Why latestRef changed, for the history: first, policy change, new tag, moved digest."""
    if old is None or old.latest_ref is None:
        return "first selection"
    if old.spec_hash and old.spec_hash != new_hash:
        return "policy change"
    if (old.latest_ref.name, old.latest_ref.tag) != (new.name, new.tag):
        return "new tag"
    return "moved digest" if new.digest else "digest cleared"


async def evaluate_policy(
    policy: ImagePolicy,
    repo: ImageRepository,
    tags: list[str],
    revision: str,
    record: PolicyRecord | None,
    resolve: DigestResolver,
    now: datetime,
    gates: list[Gate] | None = None,
) -> tuple[PolicyRecord, str]:
    """Select, reflect the digest, and build the record to store (with the history reason)."""
    tag, held = await select_eligible(policy, tags, gates or [])
    stored = record.latest_ref if record else None
    if policy.spec.forbid_downgrade and stored is not None and is_downgrade(stored.tag, tag):
        log.warning("%s: refusing downgrade from %s to %s", policy.key, stored.tag, tag)
        tag = stored.tag
    name = repo.spec.image
    decision = decide_digest(policy.spec.digest_reflection_policy, stored, name, tag)
    if decision.action is DigestAction.RESOLVE:
        digest = await resolve(repo, tag)
    else:
        digest = decision.digest
    latest = LatestRef(name, tag, digest)
    previous = next_previous(stored, record.observed_previous_ref if record else None, latest)
    current_hash = policy_hash(policy, repo)
    new = PolicyRecord(
        key=str(policy.key),
        latest_ref=latest,
        observed_previous_ref=previous,
        evaluated_time=now,
        spec_hash=current_hash,
        repository_revision=revision,
        message=ready_message(latest, previous) + (f"; {held_note(held)}" if held else ""),
    )
    return new, change_reason(record, latest, current_hash)


async def _one(
    config: Config,
    store: StateStore,
    policy: ImagePolicy,
    resolve: DigestResolver,
    now: datetime,
    force: bool,
    inspector: Inspector | None = None,
    sources: SourceReader | None = None,
) -> PolicyOutcome:
    key = str(policy.key)
    if policy.spec.suspend:
        return PolicyOutcome(key, skipped="suspended")
    try:
        repo = config.repository_for(policy)
    except AutomationError as err:
        store.record_policy_error(key, str(err), now)
        return PolicyOutcome(key, error=str(err), stalled=isinstance(err, StalledError))
    scan = store.get_scan(str(repo.key))
    if scan is None or scan.scan_time is None:  # a scan time comes with its tag list
        return PolicyOutcome(key, skipped=f"ImageRepository {repo.key} not scanned yet")
    record = store.get_policy(key)
    if not is_due(policy, scan.revision, record, policy_hash(policy, repo), now, force):
        return PolicyOutcome(key, latest=record.latest_ref if record else None, skipped="not due")
    tags = store.get_tags(str(repo.key)) or []  # read (and decompressed) only when due
    try:
        gates = build_gates(config, policy, repo, inspector, now)
        new, reason = await evaluate_policy(
            policy, repo, tags, scan.revision, record, resolve, now, gates
        )
    except AutomationError as err:
        level = logging.INFO if isinstance(err, NoMatchingTagError) else logging.WARNING
        log.log(level, "%s: %s", key, err)
        store.record_policy_error(key, str(err), now)
        return PolicyOutcome(key, error=str(err), stalled=isinstance(err, StalledError))
    old = record.latest_ref if record else None
    changed = new.latest_ref != old
    source = None
    # Read before storing: the stored record is the end of the evaluation for those watching.
    if changed and sources is not None and new.latest_ref and _new_tag(old, new.latest_ref):
        source = await source_change(sources, key, repo, old, new.latest_ref)
    store.record_policy(new, reason=reason, now=now)
    if changed:
        log.info("%s: %s (%s)", key, new.message, reason)
    return PolicyOutcome(
        key,
        new.latest_ref,
        new.observed_previous_ref,
        changed,
        reason if changed else "",
        source=source,
    )


def _new_tag(old: LatestRef | None, new: LatestRef) -> bool:
    return old is None or (old.name, old.tag) != (new.name, new.tag)


async def evaluate_policies(
    config: Config,
    store: StateStore,
    resolve: DigestResolver,
    now: datetime,
    *,
    force: bool = False,
    only: set[str] | None = None,
    inspector: Inspector | None = None,
    sources: SourceReader | None = None,
) -> list[PolicyOutcome]:
    """Evaluate every (or every named) policy; digests are resolved concurrently.

    `inspector` answers the release gates' questions (image age, signatures); without it,
    no gate is applied. `sources` reads a newly selected image's source labels (and its
    predecessor's) for the outcome; without it, outcomes carry none.
    """
    policies = [
        p for k, p in sorted(config.image_policies.items()) if only is None or str(k) in only
    ]
    return list(
        await asyncio.gather(
            *(_guarded(config, store, p, resolve, now, force, inspector, sources) for p in policies)
        )
    )


async def _guarded(
    config: Config,
    store: StateStore,
    policy: ImagePolicy,
    resolve: DigestResolver,
    now: datetime,
    force: bool,
    inspector: Inspector | None = None,
    sources: SourceReader | None = None,
) -> PolicyOutcome:
    """`_one`, but a state store failure (e.g. the database is locked) fails this policy only."""
    try:
        return await _one(config, store, policy, resolve, now, force, inspector, sources)
    except StateError as err:
        log.error("%s: %s", policy.key, err)
        return PolicyOutcome(str(policy.key), error=str(err))
