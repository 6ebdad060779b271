"""Run ImageUpdateAutomations: policy refs -> workspace -> setters -> commit -> push -> state.

In: config, state (policy refs, pins, the last run), a cache directory, `now`. Out: one
`AutomationOutcome` per automation; the run recorded in the state store. Git network work
happens in the calling thread (see automation/git: libgit2 callbacks slow down next to busy
Python threads).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from automation.changeset import ChangeSet
from automation.config import Config, ImageUpdateAutomation
from automation.errors import AutomationError, StalledError, StateError
from automation.git import (
    MessageTemplate,
    Workspace,
    is_idle,
    push_with_retry,
    source_revision,
    verify_commit,
    verify_head,
)
from automation.git.fluxdata import changed_sources
from automation.manifests.apply import apply_refs
from automation.reference import LatestRef
from automation.sourcelinks import SourceChange
from automation.state import AutomationRecord, StateStore, ref_to_write
from automation.steps.due import interval_elapsed
from automation.steps.gitplan import GitPlan, git_plan, highest_tag_in_range, last_run
from automation.steps.mirror import mirrored_ref
from automation.steps.requests import RequestRun, change_request_for, run_request
from automation.steps.scan import DigestResolver
from automation.steps.sources import OnDemand, automation_sources
from automation.steps.windows import schedule_of, window_note, window_state

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AutomationOutcome:
    key: str
    commit: str = ""
    branch: str = ""
    changes: int = 0
    attempts: int = 0
    diffs: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    error: str = ""
    skipped: str = ""
    request: str = ""  # what the forge did with the pull/merge request, and its URL
    sources: tuple[SourceChange, ...] = ()  # the changed images' sources (links)
    stalled: bool = False  # the error is the configuration's (StalledError): retrying won't help


def policy_refs(
    config: Config, store: StateStore, auto: ImageUpdateAutomation
) -> dict[str, LatestRef]:
    """Refs of the policies this automation selects, by policy name; a rollback pin wins.
    With a mirror's `rewrite_refs`, the mirror's name replaces a ref it verifiably holds."""
    refs: dict[str, LatestRef] = {}
    for key, policy in config.policies_for(auto).items():
        ref = ref_to_write(store, str(key))
        if ref is not None:
            refs[key.name] = mirrored_ref(config, store, policy, ref) or ref
    return refs


def _is_due(
    auto: ImageUpdateAutomation,
    record: AutomationRecord | None,
    refs: dict[str, LatestRef],
    now: datetime,
) -> bool:
    if record is None or record.last_error or record.observed_policies != refs:
        return True
    return interval_elapsed(now, record.last_run_time, auto.spec.interval)


def run_automation(
    config: Config,
    store: StateStore,
    auto: ImageUpdateAutomation,
    cache: Path,
    now: datetime,
    *,
    force: bool = False,
    dry_run: bool = False,
) -> AutomationOutcome:
    key = str(auto.key)
    if auto.spec.suspend:
        return AutomationOutcome(key, skipped="suspended")
    record = store.get_automation(key)
    try:
        window = window_state(schedule_of(auto), now)
        if not window.open and not dry_run:  # changes wait; --force does not open a window
            log.info("%s: %s", key, window_note(window))
            return AutomationOutcome(key, skipped=window_note(window))
        refs = policy_refs(config, store, auto)
        if not force and not dry_run and not _is_due(auto, record, refs, now):
            return AutomationOutcome(key, skipped="not due")
        return _sync(config, store, auto, refs, record, cache, now, force=force, dry_run=dry_run)
    except AutomationError as err:
        log.warning("%s: %s", key, err)
        if not dry_run:
            previous = record or AutomationRecord(key=key)
            failed = replace(
                previous, last_run_time=now, last_error=str(err), failures=previous.failures + 1
            )
            try:
                store.put_automation(failed)
            except StateError as state_err:  # the outcome still carries the error
                log.error("%s: cannot record the failure: %s", key, state_err)
        return AutomationOutcome(key, error=str(err), stalled=isinstance(err, StalledError))


def _sync(
    config: Config,
    store: StateStore,
    auto: ImageUpdateAutomation,
    refs: dict[str, LatestRef],
    record: AutomationRecord | None,
    cache: Path,
    now: datetime,
    *,
    force: bool,
    dry_run: bool,
) -> AutomationOutcome:
    key = str(auto.key)
    plan = git_plan(config, auto)
    observed = {name: str(ref) for name, ref in refs.items()}
    if (
        not force
        and not dry_run
        and is_idle(
            last_run(record),
            observed,
            plan.checkout.branch,
            plan.target,
            url=plan.url,
            auth=plan.auth,
            timeout=plan.timeout,
        )
    ):
        revision = record.observed_source_revision if record else ""
        _record(store, key, record, refs, now, revision=revision, commit="")
        return AutomationOutcome(key, skipped="no change since last run")
    path, namespace = auto.spec.update.path, auto.metadata.namespace
    source = config.source_for(auto)
    ignore = source.spec.ignore  # .sourceignore lines from the GitRepository
    verify = source.spec.verify
    keys = (
        config.secret(source.metadata.namespace, verify.secret_ref.name, needed_by=source).values
        if verify is not None and verify.mode != "Tag"
        else None
    )
    notes: list[str] = []
    sources = OnDemand(lambda: read_sources(config, store, auto, refs))
    plan = with_sources(plan, sources)

    def apply(root: Path) -> ChangeSet:
        if keys is not None:  # also each new remote head after a lost push race
            verify_head(root, keys)
        result = apply_refs(root, path, refs, namespace=namespace, ignore=ignore)
        notes[:] = [str(n) for n in (*result.problem_files, *result.skipped_markers)]
        return result.changes

    with Workspace.open(cache, plan.url, plan.auth, timeout=plan.timeout) as ws:
        base = ws.sync(plan.checkout, select_semver=highest_tag_in_range)
        if keys is not None:  # spec.verify: nothing is updated on an untrusted commit
            signer = verify_commit(ws.path, base, keys)
            log.debug("automation %s: commit %s signed by %s", key, base[:12], signer)
        if dry_run:
            preview = apply_refs(
                ws.path, path, refs, namespace=namespace, dry_run=True, ignore=ignore
            )
            skipped = tuple(str(n) for n in preview.skipped_markers)
            return AutomationOutcome(
                key, changes=len(preview.changes), diffs=dict(preview.diffs), notes=skipped
            )
        request = change_request_for(config, auto)
        if request is not None:
            # A suspended request must not turn into pushes to the checkout branch.
            if request.spec.suspend:
                return AutomationOutcome(key, skipped="change request suspended")
            run = run_request(config, auto, request, plan, ws, base, apply, sources)
            outcome = _requested(store, key, record, refs, now, plan.branch, base, run, notes)
            if run is None:
                return outcome
            return replace(outcome, sources=changed_sources(run.branch.changes, sources))
        result = push_with_retry(
            ws, plan.target, apply, plan.commit, base=base, checkout_branch=plan.checkout.branch
        )
    if result is None:
        revision = source_revision(plan.branch, base)
        _record(store, key, record, refs, now, revision=revision, commit="")
        return AutomationOutcome(key, branch=plan.target.branch, notes=tuple(notes))
    log.info("%s: %s", key, result.summary().splitlines()[0])
    head = result.commit if plan.target.branch == plan.branch else base
    revision = source_revision(plan.branch, head)
    _record(store, key, record, refs, now, revision=revision, commit=result.commit)
    return AutomationOutcome(
        key,
        result.commit,
        result.branch,
        len(result.changes),
        result.attempts,
        notes=tuple(notes),
        sources=changed_sources(result.changes, sources),
    )


def read_sources(
    config: Config, store: StateStore, auto: ImageUpdateAutomation, refs: dict[str, LatestRef]
) -> dict[str, SourceChange]:
    """The sources of the refs this run writes (configs cached by digest: after an evaluation
    in this process, only a HEAD per ref without a reflected digest)."""

    async def read() -> dict[str, SourceChange]:
        resolver = DigestResolver(config)
        try:
            return await automation_sources(config, store, auto, refs, resolver)
        finally:
            await resolver.aclose()

    return asyncio.run(read())


def with_sources(plan: GitPlan, sources: Mapping[str, SourceChange]) -> GitPlan:
    message = plan.commit.message
    if not isinstance(message, MessageTemplate):
        return plan
    return replace(plan, commit=replace(plan.commit, message=message.with_sources(sources)))


def _requested(
    store: StateStore,
    key: str,
    record: AutomationRecord | None,
    refs: dict[str, LatestRef],
    now: datetime,
    checkout: str,
    base: str,
    run: RequestRun | None,
    notes: list[str],
) -> AutomationOutcome:
    commit = run.branch.commit if run and run.branch.pushed else ""
    revision = source_revision(checkout, base)
    _record(store, key, record, refs, now, revision=revision, commit=commit)
    if run is None:
        return AutomationOutcome(key, notes=tuple(notes))
    log.info("%s: %s", key, run.summary())
    return AutomationOutcome(
        key,
        commit,
        run.branch.branch,
        len(run.branch.changes),
        1 if commit else 0,
        notes=tuple(notes),
        request=run.outcome.summary() if run.outcome else "",
    )


def _record(
    store: StateStore,
    key: str,
    record: AutomationRecord | None,
    refs: dict[str, LatestRef],
    now: datetime,
    *,
    revision: str,
    commit: str,
) -> None:
    previous = record or AutomationRecord(key=key)
    store.put_automation(
        AutomationRecord(
            key=key,
            last_run_time=now,
            last_push_commit=commit or previous.last_push_commit,
            last_push_time=now if commit else previous.last_push_time,
            observed_policies=dict(refs),
            observed_source_revision=revision,
        )
    )


def run_automations(
    config: Config,
    store: StateStore,
    cache: Path,
    now: datetime,
    *,
    force: bool = False,
    dry_run: bool = False,
    only: set[str] | None = None,
) -> list[AutomationOutcome]:
    return [
        run_automation(config, store, auto, cache, now, force=force, dry_run=dry_run)
        for key, auto in sorted(config.automations.items())
        if only is None or str(key) in only
    ]
