"""One reconciliation cycle for everything due: `steps.cycle`'s sequence, run once.

scan -> evaluate policies -> mirror -> automate (commit, push). Every step records its
results in the state store; a failure of one object is reported and the others still run.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from automation.config import Config
from automation.notify.notifier import Notifier
from automation.state import StateStore
from automation.steps.automate import AutomationOutcome
from automation.steps.cycle import refresh_cycle, run_automations
from automation.steps.evaluate import PolicyOutcome
from automation.steps.events import cycle_events
from automation.steps.mirror import MirrorOutcome
from automation.steps.scan import RepositoryOutcome


@dataclass(frozen=True)
class CycleReport:
    repositories: list[RepositoryOutcome]
    policies: list[PolicyOutcome]
    automations: list[AutomationOutcome]
    mirrors: list[MirrorOutcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return (
            any(o.error for o in self.repositories)
            or any(o.error for o in self.policies)
            or any(o.error for o in self.automations)
            or any(o.error for o in self.mirrors)
        )


def default_cache_dir() -> Path:
    """Where cached clones live: `$XDG_CACHE_HOME/image-automation/git`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "image-automation" / "git"


def reconcile(
    config: Config,
    store: StateStore,
    *,
    cache: Path | None = None,
    now: datetime | None = None,
    force: bool = False,
    dry_run: bool = False,
    notifier: Notifier | None = None,
) -> CycleReport:
    """Run one cycle for everything due (everything with `force`); events to `notifier`."""
    now = now or datetime.now(UTC)
    failures_before = _failures(config, store)
    errors_before = _errors(config, store)
    # A dry run writes nothing anywhere: no copies into mirror registries either.
    repositories, policies, mirrors = asyncio.run(
        refresh_cycle(config, store, now, force=force, mirror=not dry_run)
    )
    # Git work runs here, in the calling thread, after the event loop has finished.
    automations = run_automations(
        config, store, cache or default_cache_dir(), now, force=force, dry_run=dry_run
    )
    if notifier is not None and not dry_run:
        after = _failures(config, store)
        events = cycle_events(
            config,
            policies,
            automations,
            failures_before,
            after,
            now,
            repositories=repositories,
            errors_before=errors_before,
        )
        for event in events:
            notifier.emit(event)
    return CycleReport(repositories, policies, automations, mirrors)


def _errors(config: Config, store: StateStore) -> dict[str, str]:
    """The stored error of every object before the cycle, as ``stage:key``."""
    found: dict[str, str] = {}
    for scan in store.list_scans():
        found[f"scan:{scan.key}"] = scan.last_error
    for policy in store.list_policies():
        found[f"policy:{policy.key}"] = policy.last_error
    for auto in store.list_automations():
        found[f"automation:{auto.key}"] = auto.last_error
    return found


def _failures(config: Config, store: StateStore) -> dict[str, int]:
    records = (store.get_automation(str(key)) for key in config.automations)
    return {r.key: r.failures for r in records if r is not None and r.failures}
