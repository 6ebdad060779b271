"""The state store interface. SQLite implements it for one process, PostgreSQL for replicas.

Only this package imports the database layer; everything else talks to `StateStore`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from automation.reference import LatestRef
from automation.state.records import (
    AutomationRecord,
    HistoryEntry,
    MirrorRecord,
    PolicyRecord,
    ScanRecord,
)
from automation.state.sqlite import SQLiteStore

STATE_ENV = "IMAGE_AUTOMATION_STATE"


class StateStore(Protocol):
    # ImageRepository scans
    def put_scan(self, record: ScanRecord, tags: Sequence[str]) -> None: ...
    def record_scan_error(self, key: str, error: str, now: datetime) -> None: ...
    def get_scan(self, key: str) -> ScanRecord | None: ...
    def get_tags(self, key: str) -> list[str] | None: ...
    def list_scans(self) -> list[ScanRecord]: ...

    # ImagePolicy refs and history
    def get_policy(self, key: str) -> PolicyRecord | None: ...
    def list_policies(self) -> list[PolicyRecord]: ...
    def record_policy(
        self, record: PolicyRecord, *, reason: str, now: datetime
    ) -> PolicyRecord: ...
    def record_policy_error(self, key: str, error: str, now: datetime) -> None: ...
    def history(self, key: str) -> list[HistoryEntry]: ...
    def set_pin(self, key: str, generation: int | None) -> None: ...

    # ImageUpdateAutomation runs
    def get_automation(self, key: str) -> AutomationRecord | None: ...
    def list_automations(self) -> list[AutomationRecord]: ...
    def put_automation(self, record: AutomationRecord) -> None: ...

    # Mirror copies, per ImagePolicy
    def record_mirror(
        self,
        key: str,
        source_ref: str,
        mirror_ref: LatestRef | None,
        digest: str,
        now: datetime,
        error: str = "",
    ) -> None: ...
    def get_mirror(self, key: str) -> MirrorRecord | None: ...

    def snapshot(self, path: Path) -> StateStore: ...
    def close(self) -> None: ...


def default_state_path() -> Path:
    """`$IMAGE_AUTOMATION_STATE`, else `$XDG_STATE_HOME/image-automation/state.db`."""
    if env := os.environ.get(STATE_ENV):
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "image-automation" / "state.db"


def state_location() -> str:
    """`$IMAGE_AUTOMATION_STATE` (a path or a postgresql:// URL), else the default file."""
    return os.environ.get(STATE_ENV) or str(default_state_path())


def open_store(path: Path | None = None) -> StateStore:
    """The SQLite file at `path` (default: `default_state_path()`). A `postgresql://` URL is
    opened by `automation.state.postgres.open_server`, which loads the driver."""
    return SQLiteStore(path or default_state_path())


def pinned_ref(store: StateStore, key: str) -> LatestRef | None:
    """The ref a rollback pinned this policy to, if any."""
    record = store.get_policy(key)
    return _pinned(store, record) if record is not None else None


def ref_to_write(store: StateStore, key: str) -> LatestRef | None:
    """What automations write for this policy: a rollback pin, else the latestRef."""
    record = store.get_policy(key)
    if record is None:
        return None
    return _pinned(store, record) or record.latest_ref


def _pinned(store: StateStore, record: PolicyRecord) -> LatestRef | None:
    if record.pinned_generation is None:
        return None
    for entry in store.history(record.key):
        if entry.generation == record.pinned_generation:
            return entry.ref
    return None
