"""Skip when idle: decide, with one ref listing and no fetch, that a cycle has nothing to do.

In: what the last successful run saw (``LastRun``: the policies' refs and the source
revision ``branch@sha1:<sha>``), the policies' refs now, the checkout branch and the
``PushTarget``. Out: True when the cycle can stop before any git work.

As Flux does (fluxcd/image-automation-controller,
internal/controller/imageupdateautomation_controller.go): the shortcut applies only when the
push branch is the checkout branch and no refspec is configured (otherwise the pushed branch
is not the one listed); then, when the refs equal the last run's, one ``ls-remote`` of the
branch decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from automation.git.auth import GitAuth
from automation.git.push import PushTarget
from automation.git.remote_heads import DEFAULT_TIMEOUT, branch_head


@dataclass(frozen=True)
class LastRun:
    """What the last successful cycle observed."""

    policy_refs: Mapping[str, str] = field(default_factory=dict)  # policy key -> str(LatestRef)
    source_revision: str = ""  # "main@sha1:<sha>", Flux's observedSourceRevision


def source_revision(branch: str, sha: str) -> str:
    return f"{branch}@sha1:{sha}"


def may_skip(
    last: LastRun | None,
    policy_refs: Mapping[str, str],
    checkout_branch: str | None,
    target: PushTarget,
) -> bool:
    """The part of the decision that needs no network (pure)."""
    return (
        last is not None
        and bool(last.source_revision)
        and checkout_branch is not None
        and target.branch == checkout_branch
        and not target.refspec
        and dict(last.policy_refs) == dict(policy_refs)
    )


def is_idle(
    last: LastRun | None,
    policy_refs: Mapping[str, str],
    checkout_branch: str | None,
    target: PushTarget,
    *,
    url: str,
    auth: GitAuth,
    timeout: float = DEFAULT_TIMEOUT,
) -> bool:
    """True when nothing changed since ``last``: same refs and the branch has not moved."""
    if last is None or checkout_branch is None:
        return False
    if not may_skip(last, policy_refs, checkout_branch, target):
        return False
    sha = branch_head(url, auth, checkout_branch, timeout=timeout)
    return sha is not None and source_revision(checkout_branch, sha) == last.source_revision
