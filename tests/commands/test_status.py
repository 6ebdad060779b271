"""Flux-shaped status documents from state records: conditions, refs, times (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from automation.commands.status import (
    automation_status,
    mirror_status,
    policy_status,
    repository_status,
)
from automation.reference import LatestRef
from automation.state import (
    AutomationRecord,
    HistoryEntry,
    MirrorRecord,
    PolicyRecord,
    ScanRecord,
)

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
REF = LatestRef("ghcr.io/org/app", "1.2.0")


def ready(doc: dict[str, object]) -> tuple[str, str, str]:
    (condition,) = doc["status"]["conditions"]  # type: ignore[index]
    return condition["status"], condition["reason"], condition["message"]


def test_a_document_without_its_object_still_has_kind_and_metadata() -> None:
    doc = repository_status("apps/app", None, None)
    assert doc["apiVersion"] == "image.toolkit.fluxcd.io/v1" and doc["kind"] == "ImageRepository"
    assert doc["metadata"] == {"name": "app", "namespace": "apps"} and "spec" not in doc
    assert ready(doc) == ("False", "Progressing", "not scanned yet")


def test_repository_scan_result_and_a_later_error() -> None:
    scan = ScanRecord("apps/app", "ghcr.io/org/app", 3, NOW, "sha256:abc", ("1.2.0", "1.1.0"), "h")
    doc = repository_status("apps/app", None, scan)
    assert doc["status"]["lastScanResult"] == {
        "tagCount": 3,
        "scanTime": "2026-11-21T12:00:00Z",
        "latestTags": ["1.2.0", "1.1.0"],
        "revision": "sha256:abc",
    }
    assert ready(doc) == (
        "True",
        "Succeeded",
        "successful scan: found 3 tags with checksum sha256:abc",
    )
    failed = repository_status("apps/app", None, ScanRecord("apps/app", last_error="HTTP 503"))
    assert ready(failed) == ("False", "ReadOperationFailed", "HTTP 503")
    assert "lastScanResult" not in failed["status"]


def test_policy_latest_ref_rollback_pin_and_mirror() -> None:
    record = PolicyRecord("apps/app", latest_ref=REF, message="selected 1.2.0")
    pinned = HistoryEntry(1, NOW, LatestRef("ghcr.io/org/app", "1.0.0"), "first selection")
    mirror = MirrorRecord("apps/app", str(REF), LatestRef("m.io/app", "1.2.0"), "sha256:d", NOW)
    status = policy_status("apps/app", None, record, pinned, mirror)["status"]
    assert status["latestRef"] == REF.to_dict()
    assert status["rollback"]["message"] == (
        "pinned to generation 1 (ghcr.io/org/app:1.0.0) by rollback"
    )
    assert status["mirror"]["verified"] is True and status["mirror"]["image"] == "m.io/app"
    assert status["conditions"][0]["message"] == "selected 1.2.0"
    assert ready(policy_status("apps/app", None, None)) == (
        "False",
        "Progressing",
        "not evaluated yet",
    )


def test_an_unverified_mirror_shows_its_image_and_error_but_no_ref() -> None:
    failed = MirrorRecord("apps/app", str(REF), LatestRef("m.io/app", "1.2.0"), "", NOW, "denied")
    assert mirror_status(failed) == {
        "sourceRef": str(REF),
        "verified": False,
        "time": "2026-11-21T12:00:00Z",
        "image": "m.io/app",
        "error": "denied",
    }


def test_automation_push_and_observed_policies() -> None:
    record = AutomationRecord(
        "apps/fleet",
        last_run_time=NOW,
        last_push_commit="abc123",
        last_push_time=NOW,
        observed_policies={"app": REF},
        observed_source_revision="main@sha1:abc123",
    )
    status = automation_status("apps/fleet", None, record)["status"]
    assert status["lastPushCommit"] == "abc123"
    assert status["observedPolicies"] == {"app": REF.to_dict()}
    assert status["conditions"][0]["message"] == "repository up-to-date"
    failed = automation_status("apps/fleet", None, AutomationRecord("apps/fleet", last_error="x"))
    assert ready(failed) == ("False", "Failure", "x") and "lastPushCommit" not in failed["status"]
    assert ready(automation_status("apps/fleet", None, None))[2] == "not run yet"
