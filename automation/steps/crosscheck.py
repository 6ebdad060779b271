"""Checks across objects that a single document cannot make on its own.

Dangling references, secrets that are named but not provided, push branches that cannot be
inferred, regexes and semver ranges that do not compile. Each problem is a ConfigError at the
referring object's file:line with the field path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from automation.config.base import Object
from automation.config.config import Config
from automation.config.image import (
    VERIFY_SIGNATURES,
    VERIFY_TRUSTED_ROOT,
    ImagePolicy,
    ImageRepository,
)
from automation.config.source import GitRepository
from automation.config.update import ImageUpdateAutomation
from automation.errors import AutomationError, ConfigError
from automation.git import refnames
from automation.git.message import check_template
from automation.git.transport import check_url
from automation.policy.factory import build_policer
from automation.policy.filter import compile_pattern
from automation.reference import parse_repository
from automation.server import check_receivers
from automation.steps.requestcheck import check_alerts, check_requests
from automation.steps.windows import WindowError, schedule_of


def _error(obj: Object, field: str, message: str) -> ConfigError:
    """At the line of the field at fault (its parent's when the field is not written)."""
    return ConfigError(obj.source.file, obj.line_of(field), field, message)


def _try(obj: Object, field: str, check: Callable[[], object]) -> Iterator[ConfigError]:
    try:
        check()
    except ConfigError as err:
        yield _error(obj, field, err.message)
    except AutomationError as err:
        yield _error(obj, field, str(err))


def _secret_lookup(config: Config, obj: Object, name: str) -> Callable[[], object]:
    return lambda: config.secret(obj.metadata.namespace, name, needed_by=obj)


def _secret_refs(config: Config, obj: Object, refs: dict[str, str | None]) -> Iterator[ConfigError]:
    if not config.secrets:
        return  # no secrets path given: cannot check, the run will say if one is missing
    for field, name in refs.items():
        if name is not None:
            yield from _try(obj, field, _secret_lookup(config, obj, name))


def _check_repository(config: Config, repo: ImageRepository) -> Iterator[ConfigError]:
    spec = repo.spec
    yield from _try(repo, "spec.image", lambda: parse_repository(spec.image))
    for index, pattern in enumerate(spec.exclusion_list):
        yield from _try(repo, f"spec.exclusionList[{index}]", partial(compile_pattern, pattern))
    yield from _secret_refs(
        config,
        repo,
        {
            "spec.secretRef": spec.secret_ref.name if spec.secret_ref else None,
            "spec.certSecretRef": spec.cert_secret_ref.name if spec.cert_secret_ref else None,
            "spec.proxySecretRef": spec.proxy_secret_ref.name if spec.proxy_secret_ref else None,
        },
    )


def _check_policy(config: Config, policy: ImagePolicy) -> Iterator[ConfigError]:
    spec = policy.spec
    try:
        repo = config.repository_for(policy)
    except ConfigError as err:
        yield _error(policy, "spec.imageRepositoryRef", err.message)
    else:
        if repo.metadata.namespace != policy.metadata.namespace and repo.spec.access_from is None:
            yield _error(
                policy,
                "spec.imageRepositoryRef",
                f"ImageRepository {repo.key} is in another namespace and does not allow it "
                "(set spec.accessFrom on the ImageRepository)",
            )
    if spec.filter_tags is not None and spec.filter_tags.pattern:
        pattern = spec.filter_tags.pattern
        yield from _try(policy, "spec.filterTags.pattern", lambda: compile_pattern(pattern))
    if policy.signature_secret is not None:
        field = f"metadata.annotations.{VERIFY_SIGNATURES}"
        yield from _secret_refs(config, policy, {field: policy.signature_secret})
    if policy.keyless_root_secret is not None:
        field = f"metadata.annotations.{VERIFY_TRUSTED_ROOT}"
        yield from _secret_refs(config, policy, {field: policy.keyless_root_secret})
    choice = spec.policy
    field = f"spec.policy.{choice.kind}" + (".range" if choice.semver else ".order")
    rng = choice.semver.range if choice.semver else None
    order = choice.alphabetical or choice.numerical or None
    yield from _try(
        policy,
        field,
        lambda: build_policer(choice.kind, range=rng, order=order.order if order else "asc"),
    )


def push_branch(config: Config, automation: ImageUpdateAutomation) -> str:
    """The branch to push to: push.branch, else the checkout branch (Flux's inference)."""
    git = automation.spec.git
    if git.push is not None and git.push.branch:
        return git.push.branch
    ref = git.checkout.ref if git.checkout is not None else config.source_for(automation).spec.ref
    if ref is not None and ref.branch:
        return ref.branch
    raise _error(
        automation,
        "spec.git.push.branch",
        "push spec not provided, and cannot be inferred from the checkout ref (set a branch)",
    )


def _check_git_values(automation: ImageUpdateAutomation) -> Iterator[ConfigError]:
    """Branches, refs, refspecs and push options as git's grammar (and the run) accepts them."""
    git = automation.spec.git
    ref = git.checkout.ref if git.checkout is not None else None
    checks: list[tuple[str, str | None, Callable[[str, str], object]]] = [
        ("spec.git.checkout.ref.branch", ref.branch if ref else None, refnames.check_branch),
        ("spec.git.checkout.ref.tag", ref.tag if ref else None, refnames.check_tag),
        ("spec.git.checkout.ref.name", ref.name if ref else None, refnames.check_full_ref),
        ("spec.git.push.branch", git.push.branch if git.push else None, refnames.check_branch),
        ("spec.git.push.refspec", git.push.refspec if git.push else None,
         refnames.check_push_refspec),
    ]  # fmt: skip
    for field, value, check in checks:
        if value is not None:
            yield from _try(automation, field, partial(check, value, field))
    for key, value in (git.push.options if git.push else {}).items():
        option = partial(refnames.check_push_option, key, value)
        yield from _try(automation, "spec.git.push.options", option)


def _check_source(source: GitRepository) -> Iterator[ConfigError]:
    yield from _try(source, "spec.url", lambda: check_url(source.spec.url))
    ref = source.spec.ref
    for field, value, check in (
        ("spec.ref.branch", ref.branch if ref else None, refnames.check_branch),
        ("spec.ref.tag", ref.tag if ref else None, refnames.check_tag),
        ("spec.ref.name", ref.name if ref else None, refnames.check_full_ref),
    ):
        if value is not None:
            yield from _try(source, field, partial(check, value, field))


def _check_automation(config: Config, automation: ImageUpdateAutomation) -> Iterator[ConfigError]:
    try:
        source = config.source_for(automation)
    except ConfigError as err:
        yield _error(automation, "spec.sourceRef", err.message)
        return
    yield from _try(automation, "spec.git.push.branch", lambda: push_branch(config, automation))
    yield from _check_git_values(automation)
    key = automation.spec.git.commit.signing_key
    yield from _secret_refs(
        config,
        automation,
        {"spec.git.commit.signingKey.secretRef": key.secret_ref.name if key else None},
    )
    yield from _secret_refs(
        config,
        source,
        {"spec.secretRef": source.spec.secret_ref.name if source.spec.secret_ref else None},
    )
    try:
        schedule_of(automation)
    except WindowError as err:
        yield _error(automation, f"metadata.annotations.{err.annotation}", err.detail)
    commit = automation.spec.git.commit
    if commit.message_template:
        field = "spec.git.commit.messageTemplate"
        values = dict(commit.message_template_values)
        yield from _try(automation, field, lambda: check_template(commit.message_template, values))


def crosscheck(config: Config) -> list[ConfigError]:
    errors: list[ConfigError] = []
    for repo in config.image_repositories.values():
        errors.extend(_check_repository(config, repo))
    for policy in config.image_policies.values():
        errors.extend(_check_policy(config, policy))
    for automation in config.automations.values():
        errors.extend(_check_automation(config, automation))
    for source in config.git_repositories.values():
        errors.extend(_check_source(source))
    errors.extend(
        check_receivers(config.receivers.values(), config.secrets, config.image_repositories)
    )
    errors.extend(check_requests(config))
    errors.extend(check_alerts(config))
    return sorted(errors, key=lambda e: (e.file, e.line or 0))
