"""One reconciliation cycle: scan -> evaluate policies -> mirror -> automate (commit, push).

Only this module knows the order of the stages. Every step records its results in the state
store; a failure of one object is reported and the others still run.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from automation.config import Config
from automation.state import StateStore
from automation.steps.automate import AutomationOutcome, run_automations
from automation.steps.evaluate import PolicyOutcome, evaluate_policies
from automation.steps.mirror import MirrorOutcome, mirror_policies
from automation.steps.scan import DigestResolver, RepositoryOutcome, scan_repositories


@dataclass(frozen=True)
class CycleReport:
    repositories: list[RepositoryOutcome]
    policies: list[PolicyOutcome]
    automations: list[AutomationOutcome]
    mirrors: list[MirrorOutcome] = field(default_factory=list)  # issue 8

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


async def refresh_cycle(
    config: Config, store: StateStore, now: datetime, *, force: bool = False, mirror: bool = True
) -> tuple[list[RepositoryOutcome], list[PolicyOutcome], list[MirrorOutcome]]:
    """The registry half of a cycle: scan what is due, evaluate the policies, copy new refs to
    mirrors (issue 8; `mirror=False` copies nothing)."""
    repositories = await scan_repositories(config, store, now, force=force)
    resolver = DigestResolver(config)
    try:
        policies = await evaluate_policies(config, store, resolver, now, force=force)
    finally:
        await resolver.aclose()
    # Mirror failures are recorded, not raised: the automation then writes the source ref.
    mirrors = await mirror_policies(config, store, now, force=force) if mirror else []
    return repositories, policies, mirrors


def reconcile(
    config: Config,
    store: StateStore,
    *,
    cache: Path | None = None,
    now: datetime | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> CycleReport:
    """Run one cycle for everything due (everything with `force`)."""
    now = now or datetime.now(UTC)
    # A dry run writes nothing anywhere: no copies into mirror registries either.
    repositories, policies, mirrors = asyncio.run(
        refresh_cycle(config, store, now, force=force, mirror=not dry_run)
    )
    # Git work runs here, in the calling thread, after the event loop has finished.
    automations = run_automations(
        config, store, cache or default_cache_dir(), now, force=force, dry_run=dry_run
    )
    return CycleReport(repositories, policies, automations, mirrors)
