"""Flux-shaped status documents built from config objects and state records (pure).

In: a config object (or just its key) and its state record. Out: plain dicts in the shape
`kubectl get -o yaml` shows for Flux objects, so existing tooling and habits carry over.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from automation.config import ImagePolicy, ImageRepository, ImageUpdateAutomation, ObjectKey
from automation.errors import AutomationError
from automation.reference import LatestRef
from automation.state import (
    AutomationRecord,
    HistoryEntry,
    MirrorRecord,
    PolicyRecord,
    ScanRecord,
)


def _time(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _meta(key: str) -> dict[str, str]:
    parsed = ObjectKey.parse(key)
    return {"name": parsed.name, "namespace": parsed.namespace}


def _ready(ok: bool, reason: str, message: str) -> list[dict[str, str]]:
    return [
        {"type": "Ready", "status": "True" if ok else "False", "reason": reason, "message": message}
    ]


def _ref(ref: LatestRef | None) -> dict[str, str] | None:
    return ref.to_dict() if ref is not None else None


def repository_status(
    key: str, obj: ImageRepository | None, scan: ScanRecord | None
) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if scan is not None and scan.scan_time is not None:
        status["canonicalImageName"] = scan.canonical_name
        status["lastScanResult"] = {
            "tagCount": scan.tag_count,
            "scanTime": _time(scan.scan_time),
            "latestTags": list(scan.latest_tags),
            "revision": scan.revision,
        }
    if scan is not None and scan.last_error:
        status["conditions"] = _ready(False, "ReadOperationFailed", scan.last_error)
    elif scan is not None and scan.scan_time is not None:
        message = f"successful scan: found {scan.tag_count} tags with checksum {scan.revision}"
        status["conditions"] = _ready(True, "Succeeded", message)
    else:
        status["conditions"] = _ready(False, "Progressing", "not scanned yet")
    return _document("ImageRepository", key, obj, status)


def policy_status(
    key: str,
    obj: ImagePolicy | None,
    record: PolicyRecord | None,
    pinned: HistoryEntry | None = None,
    mirror: MirrorRecord | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if record is not None and record.latest_ref is not None:
        status["latestRef"] = _ref(record.latest_ref)
    if record is not None and record.observed_previous_ref is not None:
        status["observedPreviousRef"] = _ref(record.observed_previous_ref)
    if pinned is not None:
        status["rollback"] = {
            "generation": pinned.generation,
            "ref": _ref(pinned.ref),
            "message": f"pinned to generation {pinned.generation} ({pinned.ref}) by rollback",
        }
    if mirror is not None:
        status["mirror"] = mirror_status(mirror)
    if record is not None and record.last_error:
        status["conditions"] = _ready(False, "Failure", record.last_error)
    elif record is not None and record.latest_ref is not None:
        status["conditions"] = _ready(True, "Succeeded", record.message)
    else:
        status["conditions"] = _ready(False, "Progressing", "not evaluated yet")
    return _document("ImagePolicy", key, obj, status)


def mirror_status(mirror: MirrorRecord) -> dict[str, Any]:
    """Beyond Flux: the last copy of the policy's ref into its mirror."""
    out: dict[str, Any] = {
        "sourceRef": mirror.source_ref,
        "verified": mirror.verified,
        "time": _time(mirror.time),
    }
    if mirror.mirror_ref is not None:
        out["image"] = mirror.mirror_ref.name
        if mirror.verified:
            out["ref"] = _ref(mirror.mirror_ref)
    if mirror.digest:
        out["digest"] = mirror.digest
    if mirror.error:
        out["error"] = mirror.error
    return out


def automation_status(
    key: str,
    obj: ImageUpdateAutomation | None,
    record: AutomationRecord | None,
    now: datetime | None = None,
) -> dict[str, Any]:
    status: dict[str, Any] = {}
    if record is not None:
        status["lastAutomationRunTime"] = _time(record.last_run_time)
        if record.last_push_commit:
            status["lastPushCommit"] = record.last_push_commit
            status["lastPushTime"] = _time(record.last_push_time)
        status["observedPolicies"] = {
            name: ref.to_dict() for name, ref in sorted(record.observed_policies.items())
        }
        if record.observed_source_revision:
            status["observedSourceRevision"] = record.observed_source_revision
        if record.last_error:
            status["conditions"] = _ready(False, "Failure", record.last_error)
        else:
            status["conditions"] = _ready(True, "Succeeded", "repository up-to-date")
    else:
        status["conditions"] = _ready(False, "Progressing", "not run yet")
    if obj is not None:
        _add_window(status, obj, now or datetime.now(UTC))
    return _document("ImageUpdateAutomation", key, obj, status)


WINDOW_ANNOTATIONS = ("image-automation.io/update-", "image-automation.io/freeze-")


def _add_window(status: dict[str, Any], obj: ImageUpdateAutomation, now: datetime) -> None:
    """Beyond Flux: outside its update windows, say until when changes wait."""
    if not any(k.startswith(WINDOW_ANNOTATIONS) for k in obj.metadata.annotations):
        return
    # Start-up laziness: the crontab parser (APScheduler; see benchmarks/lazy_imports.py) is
    # loaded only for objects with windows.
    from automation.steps.windows import schedule_of, window_note, window_state

    try:
        window = window_state(schedule_of(obj), now)
    except AutomationError as err:
        status["conditions"] = _ready(False, "InvalidUpdateWindow", str(err))
        return
    if window.open:
        return
    status["updateWindow"] = {"open": False, "reason": window.reason, "until": _time(window.until)}
    condition = status["conditions"][0]
    condition["message"] = f"{condition['message']}; {window_note(window)}"


def _document(kind: str, key: str, obj: Any, status: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": obj.api_version if obj is not None else "image.toolkit.fluxcd.io/v1",
        "kind": kind,
        "metadata": _meta(key),
    }
    if obj is not None:
        doc["spec"] = obj.spec.model_dump(by_alias=True, exclude_defaults=True, mode="json")
    doc["status"] = status
    return doc
