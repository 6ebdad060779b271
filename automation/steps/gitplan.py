"""What an automation's git work needs, built from config and secrets (no I/O).

In: the Config and one ImageUpdateAutomation. Out: a `GitPlan` (remote URL, auth, timeout,
checkout ref, push target, commit options) or a config error naming the missing piece, and
`highest_tag_in_range`, which picks the tag a ``semver`` checkout ref stands for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from automation.config import Config, ImageUpdateAutomation
from automation.config.source import GitRef
from automation.git import (
    NO_AUTH,
    Author,
    CheckoutError,
    CheckoutRef,
    CommitOptions,
    GitAuth,
    LastRun,
    MessageTemplate,
    PushTarget,
    effective_checkout,
    git_auth_from_secret,
    proxy_from_secret,
    resolve_push_branch,
    signing_key_from_secret,
)
from automation.policy.constraint import ConstraintError, parse_constraints
from automation.policy.semver import SemVer
from automation.state import AutomationRecord


@dataclass(frozen=True)
class GitPlan:
    url: str
    auth: GitAuth
    timeout: float
    checkout: CheckoutRef
    target: PushTarget
    commit: CommitOptions

    @property
    def branch(self) -> str:
        """The branch whose head we record (Flux's observedSourceRevision)."""
        return self.checkout.branch or self.target.branch


def _checkout_ref(ref: GitRef | None) -> CheckoutRef | None:
    return CheckoutRef(**ref.model_dump()) if ref is not None else None


def _auth(config: Config, auto: ImageUpdateAutomation) -> GitAuth:
    source = config.source_for(auto)
    namespace, spec = source.metadata.namespace, source.spec
    auth = NO_AUTH
    if spec.secret_ref is not None:
        secret = config.secret(namespace, spec.secret_ref.name, needed_by=source)
        auth = git_auth_from_secret(secret.values)
    if spec.proxy_secret_ref is not None:
        proxy = config.secret(namespace, spec.proxy_secret_ref.name, needed_by=source)
        address, username, password = proxy_from_secret(proxy.values)
        auth = replace(auth, proxy=address, proxy_username=username, proxy_password=password)
    return auth


def _commit_options(config: Config, auto: ImageUpdateAutomation) -> CommitOptions:
    commit = auto.spec.git.commit
    signing = None
    if commit.signing_key is not None:
        secret = config.secret(
            auto.metadata.namespace, commit.signing_key.secret_ref.name, needed_by=auto
        )
        signing = signing_key_from_secret(commit.signing_key.type, secret.values)
    message = MessageTemplate(
        commit.message_template,
        auto.metadata.namespace,
        auto.metadata.name,
        dict(commit.message_template_values),
    )
    return CommitOptions(Author(commit.author.name, commit.author.email), message, signing)


def highest_tag_in_range(constraint: str, tags: Sequence[str]) -> str | None:
    """The checkout's ``SemverSelector``: the highest version tag the Masterminds range admits."""
    try:
        constraints = parse_constraints(constraint)
    except ConstraintError as err:
        raise CheckoutError(f"checkout semver range {constraint!r}: {err}") from None
    # Descending byte order first, so that among equal versions the choice is stable.
    return SemVer(constraints).latest(sorted(tags, reverse=True))


def git_plan(config: Config, auto: ImageUpdateAutomation) -> GitPlan:
    source = config.source_for(auto)
    git = auto.spec.git
    checkout = effective_checkout(
        _checkout_ref(git.checkout.ref if git.checkout else None), _checkout_ref(source.spec.ref)
    )
    push = git.push
    target = PushTarget(
        resolve_push_branch(push.branch if push else None, checkout),
        push.refspec if push else None,
        dict(push.options) if push else {},
    )
    return GitPlan(
        source.spec.url,
        _auth(config, auto),
        source.spec.timeout.total_seconds(),
        checkout,
        target,
        _commit_options(config, auto),
    )


def last_run(record: AutomationRecord | None) -> LastRun | None:
    """What the last successful run observed (None after a failure: never skip then)."""
    if record is None or record.last_error:
        return None
    observed = {name: str(ref) for name, ref in record.observed_policies.items()}
    return LastRun(observed, record.observed_source_revision)
