"""The order of a cycle: scan -> evaluate -> mirror -> automate, written down once.

`reconcile.py` runs the whole sequence for every object at once; the daemon
(`daemon/chain.py`) runs the same links for one object's chain as its jobs fire: `scan`,
then `refresh_policies` (evaluate, then mirror) for the repository's policies, then
`run_automation` for each automation whose policy changed.
"""

from __future__ import annotations

from datetime import datetime

from automation.config import Config
from automation.state import StateStore
from automation.steps.automate import AutomationOutcome, run_automation, run_automations
from automation.steps.evaluate import PolicyOutcome, evaluate_policies
from automation.steps.mirror import MirrorOutcome, mirror_policies
from automation.steps.scan import DigestResolver, RepositoryOutcome, scan_repositories

__all__ = [
    "AutomationOutcome",
    "refresh_cycle",
    "refresh_policies",
    "run_automation",
    "run_automations",
    "scan_repositories",
]


async def refresh_policies(
    config: Config,
    store: StateStore,
    now: datetime,
    *,
    force: bool = False,
    only: set[str] | None = None,
    mirror: bool = True,
) -> tuple[list[PolicyOutcome], list[MirrorOutcome]]:
    """Evaluate the policies (all, or those in `only`), then copy new refs to their mirrors
    before any automation writes them (`mirror=False` copies nothing).

    A full pass (`only=None`) mirrors every policy whose copy is due; a partial one mirrors
    only the policies it evaluated without error.
    """
    resolver = DigestResolver(config)
    try:
        policies = await evaluate_policies(
            config,
            store,
            resolver,
            now,
            force=force,
            only=only,
            inspector=resolver,
            sources=resolver,
        )
    finally:
        await resolver.aclose()
    if not mirror:
        return policies, []
    keys = None if only is None else {o.key for o in policies if not o.error and not o.skipped}
    if keys is not None and not keys:
        return policies, []
    # Mirror failures are recorded, not raised: the automation then writes the source ref.
    return policies, await mirror_policies(config, store, now, force=force, only=keys)


async def refresh_cycle(
    config: Config, store: StateStore, now: datetime, *, force: bool = False, mirror: bool = True
) -> tuple[list[RepositoryOutcome], list[PolicyOutcome], list[MirrorOutcome]]:
    """The registry half of a cycle: scan what is due, evaluate the policies, copy new refs to
    mirrors (`mirror=False` copies nothing)."""
    repositories = await scan_repositories(config, store, now, force=force)
    policies, mirrors = await refresh_policies(config, store, now, force=force, mirror=mirror)
    return repositories, policies, mirrors
