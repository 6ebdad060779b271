"""Evaluate step decisions: when a policy is due, why a ref changed, downgrade refusal, errors."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.config import ImagePolicy, ImageRepository, load_config
from automation.reference import LatestRef
from automation.state import PolicyRecord, ScanRecord, open_store
from automation.steps.evaluate import change_reason, evaluate_policies, is_due, policy_hash

NOW = datetime(2026, 11, 21, tzinfo=UTC)
REF = LatestRef("ghcr.io/org/app", "1.0.0")


def load(
    tmp_path: Path, extra: str = "", mode: str = "Never"
) -> tuple[ImagePolicy, ImageRepository]:
    interval = "  interval: 10m\n" if mode == "Always" else ""
    (tmp_path / "p.yaml").write_text(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata: {name: app}\n"
        "spec: {image: ghcr.io/org/app, interval: 1h}\n---\n"
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata: {name: app}\n"
        f"spec:\n  imageRepositoryRef: {{name: app}}\n  policy: {{semver: {{range: '>=1.0.0'}}}}\n"
        f"  digestReflectionPolicy: {mode}\n{interval}{extra}"
    )
    config = load_config([tmp_path / "p.yaml"])
    policy = next(iter(config.image_policies.values()))
    return policy, config.repository_for(policy)


@pytest.mark.parametrize(
    ("mode", "record_kw", "revision", "now", "force", "due"),
    [
        ("Never", None, "r1", NOW, False, True),  # never evaluated
        ("Never", {}, "r1", NOW, False, False),  # nothing changed
        ("Never", {}, "r2", NOW, False, True),  # tags changed
        ("Never", {"spec_hash": "other"}, "r1", NOW, False, True),  # policy changed
        ("Never", {"last_error": "boom"}, "r1", NOW, False, True),  # retry after an error
        ("Never", {}, "r1", NOW, True, True),  # forced
        ("Always", {}, "r1", NOW + timedelta(minutes=9), False, False),
        ("Always", {}, "r1", NOW + timedelta(minutes=9, seconds=59.5), False, True),  # 1 s slack
        ("Always", {}, "r1", NOW + timedelta(minutes=10), False, True),
        ("IfNotPresent", {}, "r1", NOW + timedelta(days=1), False, False),
    ],
)
def test_is_due(
    tmp_path: Path,
    mode: str,
    record_kw: dict[str, str] | None,
    revision: str,
    now: datetime,
    force: bool,
    due: bool,
) -> None:
    policy, repo = load(tmp_path, mode=mode)
    record = None
    if record_kw is not None:
        fields = {"spec_hash": policy_hash(policy, repo), **record_kw}
        record = PolicyRecord(
            "default/app", latest_ref=REF, evaluated_time=NOW, repository_revision="r1", **fields
        )  # type: ignore[arg-type]
    assert is_due(policy, revision, record, policy_hash(policy, repo), now, force) is due


@pytest.mark.parametrize(
    ("old", "new", "old_hash", "reason"),
    [
        (None, REF, "h", "first selection"),
        (REF, LatestRef(REF.name, "1.1.0"), "h", "new tag"),
        (REF, LatestRef("other/app", "1.0.0"), "h", "new tag"),
        (REF, LatestRef(REF.name, "1.0.0", "sha256:" + "a" * 64), "h", "moved digest"),
        (LatestRef(REF.name, "1.0.0", "sha256:" + "a" * 64), REF, "h", "digest cleared"),
        (REF, LatestRef(REF.name, "2.0.0"), "old", "policy change"),
    ],
)
def test_change_reason(old: LatestRef | None, new: LatestRef, old_hash: str, reason: str) -> None:
    record = PolicyRecord("default/app", latest_ref=old, spec_hash=old_hash) if old else None
    assert change_reason(record, new, "h") == reason


def run(tmp_path: Path, tags: list[str], extra: str = "") -> None:
    load(tmp_path, extra)
    config = load_config([tmp_path / "p.yaml"])
    store = open_store(tmp_path / "s.db")
    store.put_scan(ScanRecord("default/app", scan_time=NOW, revision=",".join(tags)), tags)

    async def never(repo: ImageRepository, tag: str) -> str:
        raise AssertionError("Never must not resolve digests")

    asyncio.run(evaluate_policies(config, store, never, NOW))
    store.close()


def test_forbid_downgrade_keeps_the_current_version(tmp_path: Path) -> None:
    run(tmp_path, ["1.0.0", "2.0.0"], "  forbidDowngrade: true\n")
    run(tmp_path, ["1.0.0", "1.5.0"], "  forbidDowngrade: true\n")  # 2.0.0 withdrawn
    record = open_store(tmp_path / "s.db").get_policy("default/app")
    assert record is not None and record.latest_ref is not None
    assert record.latest_ref.tag == "2.0.0"


def test_without_forbid_downgrade_the_policy_follows_the_registry(tmp_path: Path) -> None:
    run(tmp_path, ["1.0.0", "2.0.0"])
    run(tmp_path, ["1.0.0", "1.5.0"])
    record = open_store(tmp_path / "s.db").get_policy("default/app")
    assert record is not None and record.latest_ref is not None
    assert record.latest_ref.tag == "1.5.0"


def test_no_matching_tag_is_recorded_and_keeps_the_last_ref(tmp_path: Path) -> None:
    run(tmp_path, ["1.0.0"])
    run(tmp_path, ["0.1.0", "latest"])
    record = open_store(tmp_path / "s.db").get_policy("default/app")
    assert record is not None and record.latest_ref is not None
    assert record.latest_ref.tag == "1.0.0"
    assert "no tag satisfies semver range '>=1.0.0'" in record.last_error
