"""What to ask registries, and asking each question once, concurrently.

In: image references (`name[:tag][@digest]`). Out: a `Lookup` per reference (a tag to resolve
or a digest to verify) and, from `resolve_lookups`, a `Resolved` per unique lookup: the digest
the registry reports, or the error that stopped it. One `RegistryClient` per registry host;
all lookups run at once, bounded by the clients' own concurrency slots.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from automation.errors import AutomationError
from automation.pinning.access import RegistryAccess
from automation.reference import ImageName, parse_reference
from automation.registry import RegistryClient
from automation.registry.faults import ManifestUnknownError
from automation.registry.platforms import resolve_platform_digest


@dataclass(frozen=True, slots=True)
class Lookup:
    """`reference` is a tag to resolve, or (with `verify`) a digest that must exist."""

    image: ImageName
    reference: str
    verify: bool = False

    def __str__(self) -> str:
        sep = "@" if self.verify else ":"
        return f"{self.image.canonical}{sep}{self.reference}"


@dataclass(frozen=True, slots=True)
class Resolved:
    digest: str = ""
    error: str = ""


def lookup_for(reference: str) -> Lookup:
    """The question a reference asks. Raises InvalidImageNameError when it does not parse."""
    parsed = parse_reference(reference)
    if parsed.digest:
        return Lookup(parsed.name, parsed.digest, verify=True)
    return Lookup(parsed.name, parsed.tag_or_default)


async def resolve_lookups(
    lookups: Iterable[Lookup], access: RegistryAccess
) -> dict[Lookup, Resolved]:
    """Every unique lookup, answered. Never raises for registry failures: they are values."""
    by_host: dict[str, set[Lookup]] = defaultdict(set)
    for lookup in lookups:
        by_host[lookup.image.registry_host].add(lookup)
    results = await asyncio.gather(
        *(_resolve_host(host, sorted(items, key=str), access) for host, items in by_host.items())
    )
    return {lookup: answer for part in results for lookup, answer in part.items()}


async def _resolve_host(
    host: str, lookups: list[Lookup], access: RegistryAccess
) -> dict[Lookup, Resolved]:
    async with RegistryClient(host, access.options) as client:
        answers = await asyncio.gather(*(_answer(client, lookup, access) for lookup in lookups))
    return dict(zip(lookups, answers, strict=True))


async def _answer(client: RegistryClient, lookup: Lookup, access: RegistryAccess) -> Resolved:
    try:
        if lookup.verify:
            digest = await client.resolve_digest(lookup.image, lookup.reference)
        elif access.platform is not None:
            digest = await resolve_platform_digest(
                client, lookup.image, lookup.reference, access.platform
            )
        else:
            digest = await client.resolve_digest(lookup.image, lookup.reference)
    except ManifestUnknownError as err:
        if lookup.verify:
            return Resolved(error=f"digest {lookup.reference} does not exist (HTTP {err.status})")
        return Resolved(error=f"tag {lookup.reference!r} not found (HTTP {err.status})")
    except AutomationError as err:
        return Resolved(error=str(err))
    return Resolved(digest=digest)
