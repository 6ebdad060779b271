"""Scanning ImageRepositories: list tags, drop invalid and excluded ones, summarise.

In: an `ImageName`, its `exclusionList` and a `RegistryClient` (or, for `scan_many`, many
`ScanTarget`s). Out: a `ScanResult` per repository (tags sorted descending byte-wise as
Flux stores them, a `sha256:` revision of that list, the 10 greatest tags) or the error.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from automation.errors import AutomationError, RegistryTransientError
from automation.reference import ImageName
from automation.registry.client import RegistryClient
from automation.registry.exclusion import ExclusionList, compiled_exclusions
from automation.registry.options import ScanOptions

log = logging.getLogger(__name__)

LATEST_TAGS_COUNT = 10

Now = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ScanResult:
    canonical_name: str
    tags: tuple[str, ...]  # kept tags, unique, descending byte-wise
    tag_count: int
    revision: str  # "sha256:<hex>" of the newline-joined `tags`
    latest_tags: tuple[str, ...]  # the LATEST_TAGS_COUNT first of `tags`
    scan_time: datetime
    dropped_tags: int  # invalid names the registry sent (excluded tags are not counted)


def summarise(canonical_name: str, tags: Iterable[str], dropped: int, now: datetime) -> ScanResult:
    """Dedupe and sort (descending byte-wise: tags are ASCII, so code points are bytes)."""
    ordered = tuple(sorted(set(tags), reverse=True))
    revision = "sha256:" + hashlib.sha256("\n".join(ordered).encode("ascii")).hexdigest()
    return ScanResult(
        canonical_name=canonical_name,
        tags=ordered,
        tag_count=len(ordered),
        revision=revision,
        latest_tags=ordered[:LATEST_TAGS_COUNT],
        scan_time=now,
        dropped_tags=dropped,
    )


async def scan_repository(
    client: RegistryClient,
    image: ImageName,
    exclusion_list: Sequence[str] | ExclusionList = (),
    *,
    now: Now = utc_now,
) -> ScanResult:
    """One scan, bounded as a whole by `client.options.timeout` (lookup, ping, every page)."""
    exclusions = (
        exclusion_list
        if isinstance(exclusion_list, ExclusionList)
        else compiled_exclusions(tuple(exclusion_list))
    )
    timeout = client.options.timeout
    try:
        async with asyncio.timeout(timeout):
            listing = await client.list_tags(image)
    except TimeoutError as err:
        raise RegistryTransientError(
            f"scan timed out after {timeout:g}s",
            registry=image.registry,
            repository=image.repository,
        ) from err
    return summarise(image.canonical, exclusions.apply(listing.tags), listing.dropped, now())


@dataclass(frozen=True, slots=True)
class ScanTarget:
    """One ImageRepository to scan. `key` is the caller's handle (e.g. "ns/name")."""

    key: str
    image: ImageName
    exclusion_list: tuple[str, ...] = ()
    options: ScanOptions = field(default_factory=ScanOptions)


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    target: ScanTarget
    result: ScanResult | None = None
    error: AutomationError | None = None


ClientFactory = Callable[[str, ScanOptions], RegistryClient]


async def scan_many(
    targets: Iterable[ScanTarget],
    *,
    client_factory: ClientFactory = RegistryClient,
    now: Now = utc_now,
    on_done: Callable[[ScanOutcome], None] | None = None,
) -> list[ScanOutcome]:
    """Scan concurrently, one client per (registry, options), outcomes in target order.

    `on_done` is called as each scan finishes (for a progress display).

    Each client first probes its registry once (credentials, scheme, auth challenge), so
    every repository then fetches its own bearer token once before listing. At most
    `options.concurrency` scans per client run at a time, and each scan's timeout starts
    when it gets its turn, not while it waits in line.
    """
    targets = list(targets)
    clients: dict[tuple[str, ScanOptions], tuple[RegistryClient, asyncio.Semaphore]] = {}
    for target in targets:
        key = (target.image.registry_host, target.options)
        if key not in clients:
            client = client_factory(target.image.registry_host, target.options)
            clients[key] = (client, asyncio.Semaphore(target.options.concurrency))

    async def one(target: ScanTarget) -> ScanOutcome:
        client, turn = clients[(target.image.registry_host, target.options)]
        async with turn:
            try:
                result = await scan_repository(client, target.image, target.exclusion_list, now=now)
                outcome = ScanOutcome(target=target, result=result)
            except AutomationError as err:
                outcome = ScanOutcome(target=target, error=err)
            except Exception as err:  # a bug must not take the other scans of the batch down
                log.exception("scan %s: unexpected error", target.key)
                failure = AutomationError(f"unexpected error while scanning: {type(err).__name__}")
                outcome = ScanOutcome(target=target, error=failure)
        if on_done is not None:
            on_done(outcome)
        return outcome

    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(one(target)) for target in targets]
    finally:
        for client, _ in clients.values():
            await client.aclose()
    return [task.result() for task in tasks]
