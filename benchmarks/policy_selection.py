"""Throughput of the policy engine: select_latest over large tag lists.

Run: python benchmarks/policy_selection.py [tags]
Prints tags/s for semver (with and without a filter), alphabetical and numerical, and the
time of a hostile regex over long tags.
"""

from __future__ import annotations

import random
import sys
import time

from automation.policy import (
    AlphabeticalPolicySpec,
    NumericalPolicySpec,
    PolicySpec,
    SemverPolicySpec,
    TagFilter,
    compile_policy,
    select_latest,
)


def _tags(count: int) -> list[str]:
    rng = random.Random(7)
    tags = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            tags.append(f"v{rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 99)}")
        elif kind == 1:
            tags.append(f"{rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}-rc.{i}")
        elif kind == 2:
            tags.append(f"main-{rng.randint(0, 10**9):09d}-{rng.getrandbits(28):07x}")
        else:
            tags.append(f"sha-{rng.getrandbits(64):016x}")
    return tags


def _measure(label: str, spec: PolicySpec, tags: list[str], rounds: int = 5) -> None:
    policy = compile_policy(spec)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        try:
            chosen = select_latest(policy, tags).tag
        except Exception as err:  # a benchmark reports, it does not stop
            chosen = f"<{type(err).__name__}>"
        best = min(best, time.perf_counter() - start)
    print(f"{label:<44} {len(tags) / best:>12,.0f} tags/s  ({best * 1000:7.1f} ms)  -> {chosen}")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    tags = _tags(count)
    print(f"{count} tags")
    _measure("semver '>=1.0.0 <5'", SemverPolicySpec(range=">=1.0.0 <5"), tags)
    _measure("semver '>=1.0.0-0' (prereleases)", SemverPolicySpec(range=">=1.0.0-0"), tags)
    _measure(
        "numerical + filter ^main-(\\d+)-",
        NumericalPolicySpec(filter=TagFilter(r"^main-(?P<ts>\d+)-", "$ts")),
        tags,
    )
    _measure("alphabetical asc", AlphabeticalPolicySpec(), tags)
    hostile = ["a" * 10_000 + "!" for _ in range(100)]
    _measure(
        "hostile (a+)+$ on 100 x 10 kB tags",
        AlphabeticalPolicySpec(filter=TagFilter("(a+)+$")),
        hostile,
    )


if __name__ == "__main__":
    main()
