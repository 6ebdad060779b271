"""Build a policer (and its tag filter) from plain values or from a config `ImagePolicySpec`.

In:  `build_policer("semver", range="1.0.x")`, or any object shaped like the config model
     (`spec.policy.semver.range`, `spec.policy.alphabetical.order`, `spec.filter_tags.pattern`
     ...), or a `PolicySpec`.
Out: a `Policer` / `CompiledPolicy`; a bad range, order, kind or regex raises `PolicyError`
     (stalled: the user must change the policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

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
class PolicySpec:
    """An ImagePolicy's selection rule as plain values (no pydantic)."""

    kind: str
    range: str | None = None
    order: str | None = None
    filter: TagFilter | None = None


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


def _choice(policy: Any) -> tuple[str, Any]:
    found = [(k, getattr(policy, k, None)) for k in KINDS if getattr(policy, k, None) is not None]
    if len(found) != 1:
        names = ", ".join(k for k, _ in found) or "none"
        raise PolicyError(
            f"spec.policy: exactly one of semver, alphabetical, numerical must be set ({names})"
        )
    return found[0]


def policy_spec_of(spec: Any) -> PolicySpec:
    """Accept a `PolicySpec` or a config `ImagePolicySpec` (duck-typed)."""
    if isinstance(spec, PolicySpec):
        return spec
    kind, chosen = _choice(spec.policy)
    filter_tags = getattr(spec, "filter_tags", None)
    tag_filter = (
        None
        if filter_tags is None
        else TagFilter(filter_tags.pattern or "", filter_tags.extract or "")
    )
    return PolicySpec(
        kind=kind,
        range=getattr(chosen, "range", None),
        order=getattr(chosen, "order", None),
        filter=tag_filter,
    )


def compile_policy(spec: Any) -> CompiledPolicy:
    """Validate and compile everything a selection needs; raises `PolicyError`."""
    plain = policy_spec_of(spec)
    policer = build_policer(plain.kind, range=plain.range, order=plain.order)
    tag_filter = None if plain.filter is None else compile_filter(plain.filter)
    return CompiledPolicy(plain, policer, tag_filter)


def policer_for(spec: Any) -> Policer:
    """The policer of a config `ImagePolicySpec` (or `PolicySpec`)."""
    return compile_policy(spec).policer
