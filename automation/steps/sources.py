"""Source links for selected images: policy refs -> `SourceChange` (old and new image sources).

In: a `SourceReader` (the registry: `steps.scan.DigestResolver`), the policy's repository and
its previous and latest refs. Out: a `SourceChange` carrying both images' cleaned OCI source
labels, from which templates and notifications take a source link and a compare link.

A config is read once per digest (`registry.created`'s cache, shared with the release
gates' `created`): a new selection reads the new image's config, and the previous image's
unless this process read it already; an automation run reads sources only when it has
changes to write (`OnDemand`), and after an evaluation in the same process that costs a HEAD
per ref without a reflected digest. Links are a convenience: a registry failure here is
logged and gives empty sources, never a failed evaluation or run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

from automation.config import Config, ImageRepository, ImageUpdateAutomation
from automation.errors import AutomationError
from automation.reference import LatestRef
from automation.sourcelinks import ImageSource, SourceChange
from automation.state import StateStore

log = logging.getLogger(__name__)


class OnDemand(Mapping[str, SourceChange]):
    """Sources read on first use: a run that commits nothing asks the registry nothing."""

    def __init__(self, read: Callable[[], dict[str, SourceChange]]) -> None:
        self._read = read
        self._found: dict[str, SourceChange] | None = None

    def _items(self) -> dict[str, SourceChange]:
        if self._found is None:
            self._found = self._read()
        return self._found

    def __getitem__(self, key: str) -> SourceChange:
        return self._items()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())


class SourceReader(Protocol):
    async def source(self, repo: ImageRepository, tag: str, digest: str = "") -> ImageSource: ...


async def _source(
    reader: SourceReader, repo: ImageRepository, ref: LatestRef | None, policy: str
) -> ImageSource:
    if ref is None or not ref.tag:
        return ImageSource()
    try:
        return await reader.source(repo, ref.tag, ref.digest)
    except AutomationError as err:
        log.info("%s: no source labels for %s: %s", policy, ref, err)
        return ImageSource()


async def source_change(
    reader: SourceReader,
    policy: str,
    repo: ImageRepository,
    old: LatestRef | None,
    new: LatestRef,
) -> SourceChange:
    """Both images' sources (reads run concurrently; each is cached by digest)."""
    before, after = await asyncio.gather(
        _source(reader, repo, old if old != new else None, policy),
        _source(reader, repo, new, policy),
    )
    old_tag = old.tag if old is not None and old != new else ""
    return SourceChange(policy, new.name, old_tag, new.tag, before, after)


async def automation_sources(
    config: Config,
    store: StateStore,
    auto: ImageUpdateAutomation,
    refs: dict[str, LatestRef],
    reader: SourceReader,
) -> dict[str, SourceChange]:
    """Per policy key (`namespace/name`) the automation writes: the policy's previous ref and
    the ref written, with their sources."""
    jobs = []
    for key, policy in sorted(config.policies_for(auto).items()):
        new = refs.get(key.name)
        if new is None:
            continue
        record = store.get_policy(str(key))
        old = record.observed_previous_ref if record is not None else None
        try:
            repo = config.repository_for(policy)
        except AutomationError:
            continue
        jobs.append(source_change(reader, str(key), repo, old, new))
    return {change.policy: change for change in await asyncio.gather(*jobs)}
