"""Reading state back, the same for every store: the rows as `schema` lays them out, decoded
into records. A store supplies its parameter mark (`PARAM`) and `_one`/`_all`."""

from __future__ import annotations

import json
import zlib
from typing import Any

from automation.reference import LatestRef
from automation.state.records import (
    AutomationRecord,
    HistoryEntry,
    MirrorRecord,
    PolicyRecord,
    ScanRecord,
)
from automation.state.schema import (
    AUTOMATION_COLUMNS,
    MIRROR_COLUMNS,
    POLICY_COLUMNS,
    SCAN_COLUMNS,
    decode_ref,
    decode_time,
)


def scan_record(row: Any) -> ScanRecord:
    return ScanRecord(
        key=row[0],
        canonical_name=row[1],
        tag_count=row[2],
        scan_time=decode_time(row[3]),
        revision=row[4],
        latest_tags=tuple(json.loads(row[5])),
        spec_hash=row[6],
        last_error=row[7],
        error_time=decode_time(row[8]),
    )


def policy_record(row: Any) -> PolicyRecord:
    return PolicyRecord(
        key=row[0],
        latest_ref=decode_ref(row[1]),
        observed_previous_ref=decode_ref(row[2]),
        evaluated_time=decode_time(row[3]),
        spec_hash=row[4],
        repository_revision=row[5],
        message=row[6],
        last_error=row[7],
        generation=row[8],
        pinned_generation=row[9],
    )


def automation_record(row: Any) -> AutomationRecord:
    observed = {k: LatestRef(**v) for k, v in json.loads(row[4]).items()}
    return AutomationRecord(
        key=row[0],
        last_run_time=decode_time(row[1]),
        last_push_commit=row[2],
        last_push_time=decode_time(row[3]),
        observed_policies=observed,
        observed_source_revision=row[5],
        last_error=row[6],
        failures=row[7],
    )


class StoreReads:
    """The `StateStore` read calls, on a store's `_one`/`_all` and parameter mark."""

    PARAM: str

    def _one(self, sql: str, *args: Any) -> Any:
        raise NotImplementedError

    def _all(self, sql: str, *args: Any) -> list[Any]:
        raise NotImplementedError

    def get_scan(self, key: str) -> ScanRecord | None:
        row = self._one(f"SELECT {SCAN_COLUMNS} FROM scans WHERE key = {self.PARAM}", key)
        return scan_record(row) if row else None

    def get_tags(self, key: str) -> list[str] | None:
        row = self._one(f"SELECT tags FROM scans WHERE key = {self.PARAM}", key)
        if not row or row[0] is None:
            return None
        text = zlib.decompress(row[0]).decode()
        return text.split("\n") if text else []

    def list_scans(self) -> list[ScanRecord]:
        rows = self._all(f"SELECT {SCAN_COLUMNS} FROM scans ORDER BY key")
        return [scan_record(r) for r in rows]

    def get_policy(self, key: str) -> PolicyRecord | None:
        row = self._one(f"SELECT {POLICY_COLUMNS} FROM policies WHERE key = {self.PARAM}", key)
        return policy_record(row) if row else None

    def list_policies(self) -> list[PolicyRecord]:
        rows = self._all(f"SELECT {POLICY_COLUMNS} FROM policies ORDER BY key")
        return [policy_record(r) for r in rows]

    def history(self, key: str) -> list[HistoryEntry]:
        rows = self._all(
            f"SELECT generation, time, ref, reason FROM policy_history WHERE key = {self.PARAM} "
            "ORDER BY generation",
            key,
        )
        out = []
        for generation, time, ref, reason in rows:
            parsed_time, parsed_ref = decode_time(time), decode_ref(ref)
            assert parsed_time is not None and parsed_ref is not None
            out.append(HistoryEntry(generation, parsed_time, parsed_ref, reason))
        return out

    def get_automation(self, key: str) -> AutomationRecord | None:
        sql = f"SELECT {AUTOMATION_COLUMNS} FROM automations WHERE key = {self.PARAM}"
        row = self._one(sql, key)
        return automation_record(row) if row else None

    def list_automations(self) -> list[AutomationRecord]:
        rows = self._all(f"SELECT {AUTOMATION_COLUMNS} FROM automations ORDER BY key")
        return [automation_record(r) for r in rows]

    def get_mirror(self, key: str) -> MirrorRecord | None:
        row = self._one(f"SELECT {MIRROR_COLUMNS} FROM mirrors WHERE key = {self.PARAM}", key)
        if row is None:
            return None
        return MirrorRecord(row[0], row[1], decode_ref(row[2]), row[3], decode_time(row[4]), row[5])
