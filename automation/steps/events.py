"""Notification events from a cycle's outcomes. Pure.

In: policy and automation outcomes (and failure counts). Out: ``Event``s for Flux-style
alerts: a policy's latestRef changed (old -> new), an automation pushed or opened/updated a
request (with the change count and link), an object failing (with how many times in a
row), an object stalled (its configuration is wrong: said once per distinct error, since
retrying will not change it), and an object recovered after failures. Policy and
automation events carry the changed images' source and compare links.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from automation.config import Config, ObjectKey
from automation.config.base import Object
from automation.notify.event import Event
from automation.sourcelinks import SourceChange
from automation.steps.automate import AutomationOutcome
from automation.steps.evaluate import PolicyOutcome
from automation.steps.scan import RepositoryOutcome

KINDS = {"policy": "ImagePolicy", "automation": "ImageUpdateAutomation", "scan": "ImageRepository"}


def _labels(config: Config, kind: str, key: str) -> dict[str, str]:
    tables: dict[str, Mapping[ObjectKey, Object]] = {
        "ImagePolicy": config.image_policies,
        "ImageUpdateAutomation": config.automations,
        "ImageRepository": config.image_repositories,
    }
    found = tables[kind].get(ObjectKey.parse(key))
    return dict(found.metadata.labels) if found is not None else {}


def _event(
    config: Config,
    kind: str,
    key: str,
    severity: str,
    reason: str,
    message: str,
    now: datetime,
    metadata: dict[str, str] | None = None,
) -> Event:
    namespace, _, name = key.partition("/")
    labels = _labels(config, kind, key)
    return Event(kind, namespace, name, severity, reason, message, now, metadata or {}, labels)


def source_metadata(source: SourceChange | None) -> dict[str, str]:
    """``source``, ``sourceRevision``, ``sourceVersion``, ``imageURL`` and ``compare`` of one
    image, where known. Not ``revision``: in Flux's events that is the git revision the object
    reconciled, and commit-status providers mark it; an image's revision is another repo's."""
    if source is None:
        return {}
    found = {
        "source": source.source_url,
        "sourceRevision": source.new.revision,
        "sourceVersion": source.new.version,
        "imageURL": source.new.url,
        "compare": source.compare_url,
    }
    return {key: value for key, value in found.items() if value}


def sources_metadata(sources: tuple[SourceChange, ...]) -> dict[str, str]:
    """One image's metadata as is; several images' as ``links``, a line each."""
    if len(sources) == 1:
        return source_metadata(sources[0])
    lines = [change.summary() for change in sources if change.best_link]
    return {"links": "\n".join(lines)} if lines else {}


def policy_event(config: Config, outcome: PolicyOutcome, now: datetime) -> Event | None:
    if not outcome.changed or outcome.latest is None:
        return None
    old = str(outcome.previous) if outcome.previous else ""
    latest = outcome.latest
    text = f"Latest image tag for {latest.name} updated from {old or 'nothing'} to {latest.tag}"
    meta = {**source_metadata(outcome.source), "previous": old, "latest": str(outcome.latest)}
    return _event(config, "ImagePolicy", outcome.key, "info", "Succeeded", text, now, meta)


def automation_event(config: Config, outcome: AutomationOutcome, now: datetime) -> Event | None:
    if outcome.error or not (outcome.commit or outcome.request):
        return None
    meta = {
        **sources_metadata(outcome.sources),
        "changes": str(outcome.changes),
        "branch": outcome.branch,
    }
    if outcome.commit:
        meta["revision"] = f"{outcome.branch}@sha1:{outcome.commit}"
    if outcome.request:
        text = f"{outcome.request} from branch '{outcome.branch}'"
        return _event(
            config, "ImageUpdateAutomation", outcome.key, "info", "RequestUpdated", text, now, meta
        )
    text = f"pushed commit '{outcome.commit[:7]}' to branch '{outcome.branch}'"
    return _event(
        config, "ImageUpdateAutomation", outcome.key, "info", "Succeeded", text, now, meta
    )


def failure_event(
    config: Config,
    stage: str,
    key: str,
    error: str,
    failures: int,
    now: datetime,
    *,
    stalled: bool = False,
) -> Event:
    """A failure: ``ReconciliationFailed`` with the count in a row, or ``Stalled`` (a config
    error) without one, so a repeated stalled event is the same event."""
    if stalled:
        return _event(config, KINDS[stage], key, "error", "Stalled", error, now, {})
    meta = {"failures": str(failures)}
    return _event(config, KINDS[stage], key, "error", "ReconciliationFailed", error, now, meta)


def stalled_is_news(stalled: bool, error: str, error_before: str) -> bool:
    """A stalled object is reported when its error is new, not again on every attempt."""
    return not stalled or error != error_before


def recovered_event(config: Config, stage: str, key: str, failures: int, now: datetime) -> Event:
    text = f"recovered after {failures} failure(s)"
    return _event(
        config, KINDS[stage], key, "info", "Succeeded", text, now, {"failures": str(failures)}
    )


def cycle_events(
    config: Config,
    policies: list[PolicyOutcome],
    automations: list[AutomationOutcome],
    failures_before: Mapping[str, int],
    failures_after: Mapping[str, int],
    now: datetime,
    *,
    repositories: Sequence[RepositoryOutcome] = (),
    errors_before: Mapping[str, str] | None = None,
) -> list[Event]:
    """A one-shot cycle's events; failure counts are the automations' records (state), and
    ``errors_before`` (kind stage + key -> the stored error before the cycle, e.g.
    ``policy:apps/app``) keeps a stalled object from being reported again unchanged."""
    before = errors_before or {}

    def failed(stage: str, key: str, error: str, stalled: bool, count: int) -> Event | None:
        if not stalled_is_news(stalled, error, before.get(f"{stage}:{key}", "")):
            return None
        return failure_event(config, stage, key, error, count, now, stalled=stalled)

    events: list[Event | None] = [
        failed("scan", r.key, r.error, True, 1) for r in repositories if r.error and r.stalled
    ]
    events += [policy_event(config, p, now) for p in policies]
    events += [failed("policy", p.key, p.error, p.stalled, 1) for p in policies if p.error]
    for outcome in automations:
        key = outcome.key
        if outcome.error:
            count = failures_after.get(key, 1)
            events.append(failed("automation", key, outcome.error, outcome.stalled, count))
            continue
        events.append(automation_event(config, outcome, now))
        if failures_before.get(key) and not outcome.skipped:
            events.append(recovered_event(config, "automation", key, failures_before[key], now))
    return [e for e in events if e is not None]
