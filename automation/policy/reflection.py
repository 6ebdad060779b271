"""Digest reflection and the Ready message: what to store after a policy picked a tag.

In:  the policy's `digestReflectionPolicy`, the stored `latestRef`/`observedPreviousRef`,
     the image name and the newly selected tag, and a digest resolver (registry HEAD).
Out: the new refs (`Reflection`), and the Ready message text.

Rules (Flux image-reflector-controller v1):
- `Never`: no digest; switching to Never clears a stored digest.
- `IfNotPresent`: reuse the stored digest when the stored ref has the same name and tag and
  a non-empty digest (even if the tag was re-pushed); otherwise resolve.
- `Always`: resolve on every reconcile (the policy's `interval` re-runs it).
- `observedPreviousRef` becomes the old `latestRef` only when the new ref differs in name,
  tag or digest; otherwise it is left as it was (never reset).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Literal

from automation.reference import LatestRef

DigestPolicy = Literal["Always", "IfNotPresent", "Never"]


class DigestAction(Enum):
    RESOLVE = "resolve"  # ask the registry for the digest of name:tag
    REUSE = "reuse"  # keep the stored digest
    NONE = "none"  # no digest (Never)


@dataclass(frozen=True, slots=True)
class DigestDecision:
    action: DigestAction
    digest: str = ""  # the digest to reuse (REUSE only)


@dataclass(frozen=True, slots=True)
class Reflection:
    latest: LatestRef
    previous: LatestRef | None
    changed: bool  # latest differs from the stored latestRef
    resolved: bool  # the registry was asked for a digest


def decide_digest(
    policy: DigestPolicy, stored: LatestRef | None, name: str, tag: str
) -> DigestDecision:
    """Whether the digest of `name:tag` must be resolved, reused, or left empty."""
    if policy == "Never":
        return DigestDecision(DigestAction.NONE)
    reusable = stored is not None and (stored.name, stored.tag) == (name, tag) and stored.digest
    if policy == "IfNotPresent" and stored is not None and reusable:
        return DigestDecision(DigestAction.REUSE, stored.digest)
    if policy not in ("Always", "IfNotPresent"):
        raise ValueError(f"unknown digestReflectionPolicy {policy!r}")
    return DigestDecision(DigestAction.RESOLVE)


def next_previous(
    stored: LatestRef | None, stored_previous: LatestRef | None, latest: LatestRef
) -> LatestRef | None:
    """`observedPreviousRef` after storing `latest`."""
    if stored is not None and stored != latest:
        return stored
    return stored_previous


def reflect(
    policy: DigestPolicy,
    stored: LatestRef | None,
    stored_previous: LatestRef | None,
    name: str,
    tag: str,
    resolve: Callable[[str, str], str],
) -> Reflection:
    """Compute the refs to store; `resolve(name, tag)` is called only when needed."""
    decision = decide_digest(policy, stored, name, tag)
    digest = decision.digest
    if decision.action is DigestAction.RESOLVE:
        digest = resolve(name, tag)
    latest = LatestRef(name, tag, digest)
    previous = next_previous(stored, stored_previous, latest)
    return Reflection(latest, previous, stored != latest, decision.action is DigestAction.RESOLVE)


def requeue_after(policy: DigestPolicy, interval: timedelta | None) -> timedelta | None:
    """Periodic re-reconcile only for `Always` (its `interval`); otherwise event-driven."""
    return interval if policy == "Always" else None


def ready_message(latest: LatestRef, previous: LatestRef | None) -> str:
    """Flux's Ready text: `Latest image tag for <name> resolved to <tag>[ with digest <d>]
    [ (previously <name:tag[@digest]>)]`."""
    text = f"Latest image tag for {latest.name} resolved to {latest.tag}"
    if latest.digest:
        text += f" with digest {latest.digest}"
    if previous is not None and previous != latest:
        text += f" (previously {previous})"
    return text
