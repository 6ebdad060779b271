"""Run ImageUpdateAutomations: policy refs -> workspace -> setters -> commit -> push -> state.

In: config, state (policy refs, pins, the last run), a cache directory, `now`. Out: one
`AutomationOutcome` per automation; the run recorded in the state store. Git network work
happens in the calling thread (see automation/git: libgit2 callbacks slow down next to busy
Python threads).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from automation.config import Config, ImageUpdateAutomation
from automation.config.source import GitRef
from automation.errors import AutomationError
from automation.git import (
    NO_AUTH,
    Author,
    CheckoutRef,
    CommitOptions,
    GitAuth,
    LastRun,
    MessageTemplate,
    PushTarget,
    Workspace,
    effective_checkout,
    git_auth_from_secret,
    is_idle,
    push_with_retry,
    resolve_push_branch,
    signing_key_from_secret,
    source_revision,
)
from automation.manifests.apply import apply_refs
from automation.manifests.changeset import ChangeSet
from automation.reference import LatestRef
from automation.state import AutomationRecord, StateStore, pinned_ref
from automation.steps.due import interval_elapsed
from automation.steps.mirror import mirrored_ref

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


def policy_refs(
    config: Config, store: StateStore, auto: ImageUpdateAutomation
) -> dict[str, LatestRef]:
    """Refs of the policies this automation selects, by policy name; a rollback pin wins.
    With a mirror's `rewrite_refs`, the mirror's name replaces a ref it verifiably holds."""
    refs: dict[str, LatestRef] = {}
    for key in config.policies_for(auto):
        ref = pinned_ref(store, str(key))
        if ref is None:
            record = store.get_policy(str(key))
            ref = record.latest_ref if record else None
        if ref is not None:
            refs[key.name] = mirrored_ref(config, store, str(key), ref) or ref  # issue 8
    return refs


def _checkout_ref(ref: GitRef | None) -> CheckoutRef | None:
    return CheckoutRef(**ref.model_dump()) if ref is not None else None


def _auth(config: Config, auto: ImageUpdateAutomation) -> tuple[str, GitAuth, float]:
    source = config.source_for(auto)
    auth = NO_AUTH
    if source.spec.secret_ref is not None:
        secret = config.secret(
            source.metadata.namespace, source.spec.secret_ref.name, needed_by=source
        )
        auth = git_auth_from_secret(secret.values)
    return source.spec.url, auth, source.spec.timeout.total_seconds()


def _commit_options(config: Config, auto: ImageUpdateAutomation) -> CommitOptions:
    commit = auto.spec.git.commit
    signing = None
    if commit.signing_key is not None:
        secret = config.secret(
            auto.metadata.namespace, commit.signing_key.secret_ref.name, needed_by=auto
        )
        signing = signing_key_from_secret(commit.signing_key.type, secret.values)
    message = MessageTemplate(
        commit.message_template,
        auto.metadata.namespace,
        auto.metadata.name,
        dict(commit.message_template_values),
    )
    return CommitOptions(Author(commit.author.name, commit.author.email), message, signing)


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
        refs = policy_refs(config, store, auto)
        if not force and not dry_run and not _is_due(auto, record, refs, now):
            return AutomationOutcome(key, skipped="not due")
        return _sync(config, store, auto, refs, record, cache, now, force=force, dry_run=dry_run)
    except AutomationError as err:
        log.warning("%s: %s", key, err)
        if not dry_run:
            failures = (record.failures if record else 0) + 1
            previous = record or AutomationRecord(key=key)
            store.put_automation(
                AutomationRecord(
                    key=key,
                    last_run_time=now,
                    last_push_commit=previous.last_push_commit,
                    last_push_time=previous.last_push_time,
                    observed_policies=previous.observed_policies,
                    observed_source_revision=previous.observed_source_revision,
                    last_error=str(err),
                    failures=failures,
                )
            )
        return AutomationOutcome(key, error=str(err))


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
    key, ns = str(auto.key), auto.metadata.namespace
    url, auth, timeout = _auth(config, auto)
    git = auto.spec.git
    source_ref = config.source_for(auto).spec.ref
    checkout = effective_checkout(
        _checkout_ref(git.checkout.ref if git.checkout else None), _checkout_ref(source_ref)
    )
    push = git.push
    target = PushTarget(
        resolve_push_branch(push.branch if push else None, checkout),
        push.refspec if push else None,
        dict(push.options) if push else {},
    )
    options = _commit_options(config, auto)
    observed = {name: str(ref) for name, ref in refs.items()}
    last = None
    if record is not None and not record.last_error:
        last = LastRun(
            {n: str(r) for n, r in record.observed_policies.items()},
            record.observed_source_revision,
        )
    if (
        not force
        and not dry_run
        and is_idle(last, observed, checkout.branch, target, url=url, auth=auth, timeout=timeout)
    ):
        _record(
            store,
            key,
            record,
            refs,
            now,
            revision=record.observed_source_revision if record else "",
            commit="",
        )
        return AutomationOutcome(key, skipped="no change since last run")
    path = auto.spec.update.path
    notes: list[str] = []

    def apply(root: Path) -> ChangeSet:
        result = apply_refs(root, path, refs, namespace=ns)
        notes[:] = [str(n) for n in (*result.problem_files, *result.skipped_markers)]
        return result.changes

    with Workspace.open(cache, url, auth, timeout=timeout) as ws:
        base = ws.sync(checkout)
        if dry_run:
            preview = apply_refs(ws.path, path, refs, namespace=ns, dry_run=True)
            return AutomationOutcome(
                key,
                changes=len(preview.changes),
                diffs=dict(preview.diffs),
                notes=tuple(str(n) for n in preview.skipped_markers),
            )
        result = push_with_retry(
            ws, target, apply, options, base=base, checkout_branch=checkout.branch
        )
    branch = checkout.branch or target.branch
    if result is None:
        _record(store, key, record, refs, now, revision=source_revision(branch, base), commit="")
        return AutomationOutcome(key, branch=target.branch, notes=tuple(notes))
    log.info("%s: %s", key, result.summary().splitlines()[0])
    head = result.commit if target.branch == branch else base
    _record(
        store, key, record, refs, now, revision=source_revision(branch, head), commit=result.commit
    )
    return AutomationOutcome(
        key,
        result.commit,
        result.branch,
        len(result.changes),
        result.attempts,
        notes=tuple(notes),
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
