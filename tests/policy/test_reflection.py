"""Digest reflection (Flux TestImagePolicyReconciler_digestReflection) and the Ready message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from automation.policy.factory import SemverPolicySpec
from automation.policy.reflection import (
    DigestAction,
    DigestPolicy,
    decide_digest,
    ready_message,
    reflect,
    requeue_after,
)
from automation.policy.selection import select_latest
from automation.reference import LatestRef

IMAGE = "registry.example/app"
TAGS = ["v1.0.0", "v1.1.0", "v1.1.1", "v2.0.0"]
INTERVAL = timedelta(minutes=10)


class FakeRegistry:
    """Digest per tag and generation; a re-push bumps the generation (d1 -> d2)."""

    def __init__(self) -> None:
        self.generation = 1
        self.calls: list[tuple[str, str]] = []

    def digest(self, name: str, tag: str) -> str:
        self.calls.append((name, tag))
        return f"sha256:{tag}-d{self.generation}"


def d(tag: str, generation: int) -> str:
    return f"sha256:{tag}-d{generation}"


ROWS = [
    # 1st policy, 2nd policy, 2nd range, digest after 1, after 2, previous after 2, requeue 1/2
    ("Never", "Never", None, "", "", None, (None, None)),
    (
        "Always",
        "Always",
        None,
        d("v1.1.1", 1),
        d("v1.1.1", 2),
        ("v1.1.1", d("v1.1.1", 1)),
        (INTERVAL, INTERVAL),
    ),
    (
        "IfNotPresent",
        "IfNotPresent",
        "v2.x",
        d("v1.1.1", 1),
        d("v2.0.0", 2),
        ("v1.1.1", d("v1.1.1", 1)),
        (None, None),
    ),
    ("IfNotPresent", "IfNotPresent", None, d("v1.1.1", 1), d("v1.1.1", 1), None, (None, None)),
    ("Never", "IfNotPresent", None, "", d("v1.1.1", 2), ("v1.1.1", ""), (None, None)),
    ("Always", "Never", None, d("v1.1.1", 1), "", ("v1.1.1", d("v1.1.1", 1)), (INTERVAL, None)),
    ("IfNotPresent", "Never", None, d("v1.1.1", 1), "", ("v1.1.1", d("v1.1.1", 1)), (None, None)),
    (
        "IfNotPresent",
        "Always",
        None,
        d("v1.1.1", 1),
        d("v1.1.1", 2),
        ("v1.1.1", d("v1.1.1", 1)),
        (None, INTERVAL),
    ),
    ("Always", "IfNotPresent", None, d("v1.1.1", 1), d("v1.1.1", 1), None, (INTERVAL, None)),
    ("IfNotPresent", "IfNotPresent", "=v1.1.1", d("v1.1.1", 1), d("v1.1.1", 1), None, (None, None)),
]


@pytest.mark.parametrize(("first", "second", "range2", "dig1", "dig2", "prev2", "requeue"), ROWS)
def test_digest_reflection_two_passes(
    first: DigestPolicy,
    second: DigestPolicy,
    range2: str | None,
    dig1: str,
    dig2: str,
    prev2: tuple[str, str] | None,
    requeue: tuple[timedelta | None, timedelta | None],
) -> None:
    registry = FakeRegistry()
    tag1 = select_latest(SemverPolicySpec(range="v1.x"), TAGS).tag
    pass1 = reflect(first, None, None, IMAGE, tag1, registry.digest)
    assert pass1.latest == LatestRef(IMAGE, "v1.1.1", dig1)
    assert pass1.previous is None
    assert requeue_after(first, INTERVAL if first == "Always" else None) == requeue[0]

    registry.generation = 2  # every tag re-pushed with new content
    tag2 = select_latest(SemverPolicySpec(range=range2 or "v1.x"), TAGS).tag
    pass2 = reflect(second, pass1.latest, pass1.previous, IMAGE, tag2, registry.digest)
    assert pass2.latest.digest == dig2
    expected_prev = None if prev2 is None else LatestRef(IMAGE, prev2[0], prev2[1])
    assert pass2.previous == expected_prev
    assert pass2.changed is (expected_prev is not None)
    assert requeue_after(second, INTERVAL if second == "Always" else None) == requeue[1]


def test_resolver_is_called_only_when_needed() -> None:
    registry = FakeRegistry()
    stored = LatestRef(IMAGE, "v1.1.1", "sha256:old")
    reflect("IfNotPresent", stored, None, IMAGE, "v1.1.1", registry.digest)
    reflect("Never", stored, None, IMAGE, "v1.1.1", registry.digest)
    assert registry.calls == []
    reflect("Always", stored, None, IMAGE, "v1.1.1", registry.digest)
    assert registry.calls == [(IMAGE, "v1.1.1")]


@pytest.mark.parametrize(
    ("policy", "stored", "tag", "action", "digest"),
    [
        ("Never", LatestRef(IMAGE, "1", "sha256:a"), "1", DigestAction.NONE, ""),
        ("Always", LatestRef(IMAGE, "1", "sha256:a"), "1", DigestAction.RESOLVE, ""),
        ("IfNotPresent", None, "1", DigestAction.RESOLVE, ""),
        ("IfNotPresent", LatestRef(IMAGE, "1", ""), "1", DigestAction.RESOLVE, ""),
        ("IfNotPresent", LatestRef(IMAGE, "0", "sha256:a"), "1", DigestAction.RESOLVE, ""),
        ("IfNotPresent", LatestRef("other/app", "1", "sha256:a"), "1", DigestAction.RESOLVE, ""),
        ("IfNotPresent", LatestRef(IMAGE, "1", "sha256:a"), "1", DigestAction.REUSE, "sha256:a"),
    ],
)
def test_decide_digest(
    policy: DigestPolicy, stored: LatestRef | None, tag: str, action: DigestAction, digest: str
) -> None:
    decision = decide_digest(policy, stored, IMAGE, tag)
    assert (decision.action, decision.digest) == (action, digest)


def test_previous_ref_is_kept_when_nothing_changes() -> None:
    older = LatestRef(IMAGE, "v1.0.0")
    stored = LatestRef(IMAGE, "v1.1.0")
    again = reflect("Never", stored, older, IMAGE, "v1.1.0", FakeRegistry().digest)
    assert again.previous == older and not again.changed


@pytest.mark.parametrize(
    ("latest", "previous", "message"),
    [
        (LatestRef("foo/bar", "1.0.0"), None, "Latest image tag for foo/bar resolved to 1.0.0"),
        (
            LatestRef("foo/bar", "1.1.0"),
            LatestRef("foo/bar", "1.0.0"),
            "Latest image tag for foo/bar resolved to 1.1.0 (previously foo/bar:1.0.0)",
        ),
        (
            LatestRef("foo/bar", "1.0.0"),
            LatestRef("foo/bar", "1.0.0"),
            "Latest image tag for foo/bar resolved to 1.0.0",
        ),
        (
            LatestRef("foo/bar", "1.0.0", "sha256:2"),
            None,
            "Latest image tag for foo/bar resolved to 1.0.0 with digest sha256:2",
        ),
        (
            LatestRef("foo/bar", "1.0.0", "sha256:2"),
            LatestRef("foo/bar", "1.0.0", "sha256:1"),
            "Latest image tag for foo/bar resolved to 1.0.0 with digest sha256:2 "
            "(previously foo/bar:1.0.0@sha256:1)",
        ),
    ],
)
def test_ready_message(latest: LatestRef, previous: LatestRef | None, message: str) -> None:
    assert ready_message(latest, previous) == message
