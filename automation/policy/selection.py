"""Pick the latest tag for a policy, and explain the choice.

In:  a policy (`PolicySpec`, config `ImagePolicySpec`, or `CompiledPolicy`) and the tags of
     its repository (any order, duplicates allowed).
Out: `select_latest` -> `Selection` (the original tag), or raises `NoMatchingTagError`
     with counts (tags, passed the filter, parsed as versions) / `PolicyError`;
     `explain` -> `Explanation` with a verdict and reason for every tag (`policy test -v`).

Order and ties, as in Flux: tags are first sorted in descending byte-wise order (Flux's
stored order), so without a filter the first of equal precedence wins (semver: `v1.0.0`
over `1.0.0`; numerical: the later one). With a filter, tags extracting to the same value
collapse to the one appearing later in that order (the byte-wise smallest); Flux then
iterates a Go map (random), where we feed the extracted values in descending byte order,
so results are deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from automation.config.image import ImagePolicySpec
from automation.errors import NoMatchingTagError
from automation.policy.factory import CompiledPolicy, PolicySpec, compile_policy
from automation.policy.semver import SemVer
from automation.policy.version import VersionError, parse_tag


@dataclass(frozen=True, slots=True)
class Candidates:
    """What the policer sees: values in feed order, and value -> original tag."""

    tags: tuple[str, ...]  # distinct tags, descending byte order
    values: tuple[str, ...]
    original: dict[str, str]
    unmatched: tuple[str, ...]  # dropped by the filter
    shadowed: tuple[tuple[str, str, str], ...]  # (tag, value, winning tag)


@dataclass(frozen=True, slots=True)
class Selection:
    tag: str  # the original tag
    value: str  # what the policer ordered (the extracted value, or the tag)
    candidates: int  # values the policer compared
    total: int  # distinct tags considered


Outcome = Literal["selected", "candidate", "dropped"]


@dataclass(frozen=True, slots=True)
class Verdict:
    tag: str
    value: str
    outcome: Outcome
    reason: str


@dataclass(frozen=True, slots=True)
class Explanation:
    policy: str  # e.g. "semver range '1.0.x' on tags matching '^v'"
    tag: str | None
    error: str | None
    verdicts: tuple[Verdict, ...]


PolicyInput = PolicySpec | ImagePolicySpec | CompiledPolicy
"""What `select_latest` and `explain` accept: plain values, the config model, or compiled."""


def _compiled(policy: PolicyInput) -> CompiledPolicy:
    return policy if isinstance(policy, CompiledPolicy) else compile_policy(policy)


def gather(policy: CompiledPolicy, tags: Iterable[str]) -> Candidates:
    ordered = tuple(sorted(set(tags), reverse=True))
    if policy.tag_filter is None:
        return Candidates(ordered, ordered, {t: t for t in ordered}, (), ())
    result = policy.tag_filter.apply(ordered)
    shadowed = tuple(
        (tag, value, result.values[value])
        for tag, value in result.matched
        if result.values[value] != tag
    )
    values = tuple(sorted(result.values, reverse=True))
    return Candidates(ordered, values, result.values, result.unmatched, shadowed)


def _no_match(policy: CompiledPolicy, found: Candidates) -> NoMatchingTagError:
    if not found.tags:
        return NoMatchingTagError("no tags to choose from: the image repository has no tags")
    counts = [f"{len(found.tags)} tags"]
    if policy.tag_filter is not None:
        pattern = policy.tag_filter.spec.pattern
        counts.append(f"{len(found.original)} matched filterTags.pattern '{pattern}'")
    if isinstance(policy.policer, SemVer):
        counts.append(f"{sum(1 for v in found.values if _parses(v))} parsed as versions")
    return NoMatchingTagError(
        f"unable to determine latest version: no tag satisfies "
        f"{policy.policer.description} ({', '.join(counts)})"
    )


def _parses(value: str) -> bool:
    try:
        parse_tag(value)
    except VersionError:
        return False
    return True


def select_latest(policy: PolicyInput, tags: Iterable[str]) -> Selection:
    """The latest tag under `policy`. Raises `NoMatchingTagError` or `PolicyError`."""
    compiled = _compiled(policy)
    found = gather(compiled, tags)
    winner = compiled.policer.latest(found.values) if found.values else None
    if winner is None:
        raise _no_match(compiled, found)
    return Selection(found.original[winner], winner, len(found.values), len(found.tags))


def _describe(policy: CompiledPolicy) -> str:
    text = policy.policer.description
    if policy.tag_filter is not None:
        spec = policy.tag_filter.spec
        text += f" on tags matching '{spec.pattern}'"
        if spec.extract:
            text += f" (ordering {spec.extract!r})"
    return text


def _verdicts(policy: CompiledPolicy, found: Candidates, winner: str | None) -> list[Verdict]:
    by_tag: dict[str, Verdict] = {}
    for tag in found.unmatched:
        pattern = policy.tag_filter.spec.pattern if policy.tag_filter else ""
        by_tag[tag] = Verdict(tag, tag, "dropped", f"filtered out by pattern '{pattern}'")
    for tag, value, other in found.shadowed:
        reason = f"extracts to {value!r} like {other!r}, which takes its place"
        by_tag[tag] = Verdict(tag, value, "dropped", reason)
    for value in found.values:
        tag = found.original[value]
        rejection = policy.policer.rejection(value)
        if value == winner:
            by_tag[tag] = Verdict(tag, value, "selected", "latest")
        elif rejection is not None:
            by_tag[tag] = Verdict(tag, value, "dropped", rejection)
        else:
            by_tag[tag] = Verdict(tag, value, "candidate", "not the latest")
    return [by_tag[t] for t in found.tags]


def explain(policy: PolicyInput, tags: Iterable[str]) -> Explanation:
    """Like `select_latest`, but never raises for a missing match: every tag gets a reason.

    Raises `PolicyError` only when the policy itself is invalid.
    """
    compiled = _compiled(policy)
    found = gather(compiled, tags)
    winner: str | None = None
    error: str | None = None
    try:
        winner = select_latest(compiled, found.tags).value
    except NoMatchingTagError as err:
        error = str(err)
    tag = None if winner is None else found.original[winner]
    verdicts = tuple(_verdicts(compiled, found, winner))
    return Explanation(_describe(compiled), tag, error, verdicts)
