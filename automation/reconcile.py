"""One reconciliation cycle: scan -> evaluate policies -> automate (update, commit, push).

Only this module knows the order of the stages. Every step records its results in the state
store; a failure of one object is reported and the others still run.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from automation.config import Config
from automation.state import StateStore
from automation.steps.automate import AutomationOutcome, run_automations
from automation.steps.evaluate import PolicyOutcome, evaluate_policies
from automation.steps.scan import DigestResolver, RepositoryOutcome, scan_repositories


@dataclass(frozen=True)
class CycleReport:
    repositories: list[RepositoryOutcome]
    policies: list[PolicyOutcome]
    automations: list[AutomationOutcome]

    @property
    def failed(self) -> bool:
        return (
            any(o.error for o in self.repositories)
            or any(o.error for o in self.policies)
            or any(o.error for o in self.automations)
        )


def default_cache_dir() -> Path:
    """Where cached clones live: `$XDG_CACHE_HOME/image-automation/git`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "image-automation" / "git"


async def refresh(
    config: Config, store: StateStore, now: datetime, *, force: bool = False
) -> tuple[list[RepositoryOutcome], list[PolicyOutcome]]:
    """The registry half of a cycle: scan what is due, then evaluate the policies."""
    repositories = await scan_repositories(config, store, now, force=force)
    resolver = DigestResolver(config)
    try:
        policies = await evaluate_policies(config, store, resolver, now, force=force)
    finally:
        await resolver.aclose()
    return repositories, policies


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
    repositories, policies = asyncio.run(refresh(config, store, now, force=force))
    # Git work runs here, in the calling thread, after the event loop has finished.
    automations = run_automations(
        config, store, cache or default_cache_dir(), now, force=force, dry_run=dry_run
    )
    return CycleReport(repositories, policies, automations)
