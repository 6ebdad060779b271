"""Pure policy engine: pick the latest tag of an image by semver, alphabetical or numerical
order, with optional `filterTags`, and decide what to store (digest reflection).

Entry points: `select_latest`, `explain`, `compile_policy` / `build_policer`,
`compile_pattern` / `exclude_tags`, `reflect` / `decide_digest` / `ready_message`.
"""

from automation.policy.factory import (
    AlphabeticalPolicySpec,
    CompiledPolicy,
    NumericalPolicySpec,
    PolicySpec,
    SemverPolicySpec,
    build_policer,
    compile_policy,
    policer_for,
    policy_spec_of,
)
from automation.policy.filter import (
    InvalidPatternError,
    Pattern,
    TagFilter,
    compile_pattern,
    exclude_tags,
)
from automation.policy.numerical import NonNumericTagError
from automation.policy.policer import Policer
from automation.policy.reflection import (
    DigestAction,
    DigestDecision,
    Reflection,
    decide_digest,
    next_previous,
    ready_message,
    reflect,
    requeue_after,
)
from automation.policy.selection import Explanation, Selection, Verdict, explain, select_latest

__all__ = [
    "AlphabeticalPolicySpec",
    "CompiledPolicy",
    "DigestAction",
    "DigestDecision",
    "Explanation",
    "InvalidPatternError",
    "NonNumericTagError",
    "NumericalPolicySpec",
    "Pattern",
    "Policer",
    "PolicySpec",
    "Reflection",
    "Selection",
    "SemverPolicySpec",
    "TagFilter",
    "Verdict",
    "build_policer",
    "compile_pattern",
    "compile_policy",
    "decide_digest",
    "exclude_tags",
    "explain",
    "next_previous",
    "policer_for",
    "policy_spec_of",
    "ready_message",
    "reflect",
    "requeue_after",
    "select_latest",
]
