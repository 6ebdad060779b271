"""Mirror what policies selected into their ImageRepository's `spec.mirror`.

In: config (with secrets), state (policy refs, rollback pins, mirror records), `now`. Out: one
`MirrorOutcome` per policy whose repository names a mirror; a mirror record per copy in the
state store. The ref mirrored is the one the automation will write (a rollback pin, else the
latestRef). A copy runs only when that ref changed, the mirror image changed, or the last copy
failed or is missing. Failures are recorded and reported, never raised: the automation then
writes the source ref, because `mirrored_ref` hands out a mirror ref only when the copy of
exactly that ref was verified (a manifest naming an image the mirror does not hold would break
deployments; the source still serves it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from automation.config import Config, ImagePolicy, ImageRepository
from automation.config.image import MirrorSpec
from automation.errors import AutomationError, StateError
from automation.reference import LatestRef, parse_repository
from automation.registry import ScanOptions
from automation.registry.copy import CopyReport, Endpoint, copy_image
from automation.registry.transfer import TransferClient
from automation.state import MirrorRecord, StateStore, ref_to_write
from automation.steps.scan import connection_options, scan_options

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MirrorOutcome:
    key: str  # the ImagePolicy
    source: LatestRef | None = None
    mirror: LatestRef | None = None
    digest: str = ""
    copied: CopyReport | None = None
    error: str = ""
    skipped: str = ""


def mirror_options(config: Config, repo: ImageRepository, mirror: MirrorSpec) -> ScanOptions:
    """Transport and credentials for the mirror registry: its own secrets, never the source's."""
    return connection_options(
        config,
        repo,
        insecure=mirror.insecure,
        secret_ref=mirror.secret_ref,
        cert_secret_ref=mirror.cert_secret_ref,
    )


def is_mirror_due(
    record: MirrorRecord | None, source: LatestRef, mirror_image: str, force: bool
) -> bool:
    if force or record is None or not record.verified:
        return True
    assert record.mirror_ref is not None
    return record.source_ref != str(source) or record.mirror_ref.name != mirror_image


def mirrored_ref(
    config: Config, store: StateStore, policy: ImagePolicy, ref: LatestRef
) -> LatestRef | None:
    """The mirror's ref to write instead of `ref`: only with `rewrite_refs`, and only when the
    copy of exactly `ref` into the currently configured mirror image was verified."""
    try:
        mirror = config.repository_for(policy).spec.mirror
    except AutomationError:
        return None
    if mirror is None or not mirror.rewrite_refs:
        return None
    record = store.get_mirror(str(policy.key))
    if record is None or not record.verified or record.source_ref != str(ref):
        return None
    if record.mirror_ref is None or record.mirror_ref.name != mirror.image:
        return None
    return record.mirror_ref


class _Clients:
    """One transfer client per (side, host, options) for the cycle; source and mirror sides
    never share a client, so each side's credentials stay with its own host."""

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str, ScanOptions], TransferClient] = {}

    def get(self, side: str, host: str, options: ScanOptions) -> TransferClient:
        key = (side, host, options)
        if key not in self._clients:
            self._clients[key] = TransferClient(host, options)
        return self._clients[key]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


async def _copy(
    clients: _Clients, config: Config, repo: ImageRepository, mirror: MirrorSpec, ref: LatestRef
) -> CopyReport:
    image, target_image = parse_repository(repo.spec.image), parse_repository(mirror.image)
    source = Endpoint(clients.get("source", image.registry_host, scan_options(config, repo)), image)
    target_options = mirror_options(config, repo, mirror)
    target = Endpoint(
        clients.get("mirror", target_image.registry_host, target_options), target_image
    )
    digest = ref.digest or await source.client.resolve_digest(image, ref.tag)
    return await copy_image(source, target, digest, ref.tag)


async def _mirror_one(
    key: str,
    work: asyncio.Task[CopyReport],
    source: LatestRef,
    mirror_ref: LatestRef,
    store: StateStore,
    now: datetime,
) -> MirrorOutcome:
    try:
        report = await work
    except AutomationError as err:
        log.warning("mirror %s (%s): %s", key, source, err)
        with contextlib.suppress(StateError):  # the outcome still carries the error
            store.record_mirror(key, str(source), mirror_ref, "", now, str(err))
        return MirrorOutcome(key, source, mirror_ref, error=str(err))
    try:
        store.record_mirror(key, str(source), mirror_ref, report.digest, now)
    except StateError as err:  # copied, but not recorded: the next run checks and records
        log.error("mirror %s: %s", key, err)
        return MirrorOutcome(key, source, mirror_ref, error=str(err))
    log.info("mirror %s: %s -> %s (%s)", key, source, mirror_ref, report.digest[:19])
    return MirrorOutcome(key, source, mirror_ref, report.digest, report)


def _plan(
    config: Config, store: StateStore, force: bool, only: set[str] | None
) -> tuple[list[MirrorOutcome], list[tuple[str, ImagePolicy, ImageRepository, LatestRef]]]:
    skipped: list[MirrorOutcome] = []
    due: list[tuple[str, ImagePolicy, ImageRepository, LatestRef]] = []
    for policy_key, policy in sorted(config.image_policies.items()):
        key = str(policy_key)
        if only is not None and key not in only:
            continue
        try:
            repo = config.repository_for(policy)
        except AutomationError:
            continue  # reported by evaluate
        mirror = repo.spec.mirror
        if mirror is None:
            continue
        source = ref_to_write(store, key)
        if source is None:
            skipped.append(MirrorOutcome(key, skipped="no ref selected yet"))
        elif not is_mirror_due(store.get_mirror(key), source, mirror.image, force):
            skipped.append(MirrorOutcome(key, source, skipped="already mirrored"))
        else:
            due.append((key, policy, repo, source))
    return skipped, due


async def mirror_policies(
    config: Config,
    store: StateStore,
    now: datetime,
    *,
    force: bool = False,
    only: set[str] | None = None,
) -> list[MirrorOutcome]:
    """Copy each due policy's ref into its mirror, concurrently; equal copies run once."""
    outcomes, due = _plan(config, store, force, only)
    clients = _Clients()
    work: dict[tuple[str, str], asyncio.Task[CopyReport]] = {}
    try:
        runs = []
        for key, _policy, repo, source in due:
            mirror = repo.spec.mirror
            assert mirror is not None
            same = (mirror.image, f"{repo.spec.image}|{source}")
            if same not in work:
                work[same] = asyncio.ensure_future(_copy(clients, config, repo, mirror, source))
            mirror_ref = LatestRef(mirror.image, source.tag, source.digest)
            runs.append(_mirror_one(key, work[same], source, mirror_ref, store, now))
        outcomes.extend(await asyncio.gather(*runs))
    finally:
        await clients.aclose()
    return sorted(outcomes, key=lambda o: o.key)
