"""Build a policer (and its tag filter) from plain values or from a config `ImagePolicySpec`.

In:  `build_policer("semver", range="1.0.x")`, a `PolicySpec` (one dataclass per policy
     kind), or the config's `ImagePolicySpec`, converted by `policy_spec_of`.
Out: a `Policer` / `CompiledPolicy`; a bad range, order, kind or regex raises `PolicyError`
     (stalled: the user must change the policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, get_args

from automation.config.image import ImagePolicySpec
from automation.errors import PolicyError
from automation.policy.alphabetical import Alphabetical
from automation.policy.constraint import ConstraintError, parse_constraints
from automation.policy.filter import CompiledFilter, TagFilter, compile_filter
from automation.policy.numerical import Numerical
from automation.policy.policer import Policer, parse_order
from automation.policy.semver import SemVer

Kind = Literal["semver", "alphabetical", "numerical"]
KINDS: tuple[str, ...] = get_args(Kind)


@dataclass(frozen=True, slots=True)
class SemverPolicySpec:
    """Select the highest version inside a Masterminds range."""

    range: str
    filter: TagFilter | None = None
    kind: ClassVar[Kind] = "semver"


@dataclass(frozen=True, slots=True)
class AlphabeticalPolicySpec:
    """Select the first or last tag in byte order ("asc"/"desc", any case; None is asc)."""

    order: str | None = None
    filter: TagFilter | None = None
    kind: ClassVar[Kind] = "alphabetical"


@dataclass(frozen=True, slots=True)
class NumericalPolicySpec:
    """Select the highest or lowest number ("asc"/"desc", any case; None is asc)."""

    order: str | None = None
    filter: TagFilter | None = None
    kind: ClassVar[Kind] = "numerical"


PolicySpec = SemverPolicySpec | AlphabeticalPolicySpec | NumericalPolicySpec
"""An ImagePolicy's selection rule as plain values (no pydantic): one type per policy kind."""


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    spec: PolicySpec
    policer: Policer
    tag_filter: CompiledFilter | None


def build_policer(kind: str, *, range: str | None = None, order: str | None = None) -> Policer:
    """One policer; `range` is for semver, `order` ("asc"/"desc", any case) for the others."""
    if kind == "semver":
        if not range:
            raise PolicyError("the semver policy needs a non-empty range")
        try:
            return SemVer(parse_constraints(range))
        except ConstraintError as err:
            raise PolicyError(f"invalid semver range {range!r}: {err}") from None
    if kind == "alphabetical":
        return Alphabetical(parse_order(order, kind))
    if kind == "numerical":
        return Numerical(parse_order(order, kind))
    raise PolicyError(
        f"invalid policy kind {kind!r}: exactly one of semver, alphabetical, numerical is needed"
    )


def policy_spec_of(spec: PolicySpec | ImagePolicySpec) -> PolicySpec:
    """Accept a `PolicySpec` or a config `ImagePolicySpec`."""
    if isinstance(spec, PolicySpec):
        return spec
    filter_tags = spec.filter_tags
    tag_filter = (
        None
        if filter_tags is None
        else TagFilter(filter_tags.pattern or "", filter_tags.extract or "")
    )
    choice = spec.policy
    if choice.semver is not None:
        return SemverPolicySpec(choice.semver.range, tag_filter)
    if choice.alphabetical is not None:
        return AlphabeticalPolicySpec(choice.alphabetical.order, tag_filter)
    if choice.numerical is not None:
        return NumericalPolicySpec(choice.numerical.order, tag_filter)
    raise PolicyError(
        "spec.policy: exactly one of semver, alphabetical, numerical must be set (none)"
    )


def _policer(spec: PolicySpec) -> Policer:
    if isinstance(spec, SemverPolicySpec):
        return build_policer(spec.kind, range=spec.range)
    return build_policer(spec.kind, order=spec.order)


def compile_policy(spec: PolicySpec | ImagePolicySpec) -> CompiledPolicy:
    """Validate and compile everything a selection needs; raises `PolicyError`."""
    plain = policy_spec_of(spec)
    policer = _policer(plain)
    tag_filter = None if plain.filter is None else compile_filter(plain.filter)
    return CompiledPolicy(plain, policer, tag_filter)


def policer_for(spec: PolicySpec | ImagePolicySpec) -> Policer:
    """The policer of a config `ImagePolicySpec` (or `PolicySpec`)."""
    return compile_policy(spec).policer
