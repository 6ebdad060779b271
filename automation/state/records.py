"""Values the state store keeps: scan results, policy refs with history, automation runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from automation.reference import LatestRef


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """The last scan of one ImageRepository (`key` = "ns/name")."""

    key: str
    canonical_name: str = ""
    tag_count: int = 0
    scan_time: datetime | None = None
    revision: str = ""
    latest_tags: tuple[str, ...] = ()
    spec_hash: str = ""
    last_error: str = ""
    error_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class PolicyRecord:
    """An ImagePolicy's status. `pinned_generation` is set by `rollback` until released."""

    key: str
    latest_ref: LatestRef | None = None
    observed_previous_ref: LatestRef | None = None
    evaluated_time: datetime | None = None
    spec_hash: str = ""
    repository_revision: str = ""
    message: str = ""
    last_error: str = ""
    generation: int = 0
    pinned_generation: int | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One change of a policy's latestRef: numbered generation, time, ref and why."""

    generation: int
    time: datetime
    ref: LatestRef
    reason: str


@dataclass(frozen=True, slots=True)
class AutomationRecord:
    """An ImageUpdateAutomation's status, in Flux's field names."""

    key: str
    last_run_time: datetime | None = None
    last_push_commit: str = ""
    last_push_time: datetime | None = None
    observed_policies: dict[str, LatestRef] = field(default_factory=dict)
    observed_source_revision: str = ""
    last_error: str = ""
    failures: int = 0


# --- mirroring -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MirrorRecord:
    """The last mirror copy for one ImagePolicy: which source ref, the mirror's ref, the
    digest the mirror verified, and the error when the copy or the verification failed."""

    key: str
    source_ref: str
    mirror_ref: LatestRef | None = None
    digest: str = ""
    time: datetime | None = None
    error: str = ""

    @property
    def verified(self) -> bool:
        return self.mirror_ref is not None and bool(self.digest) and not self.error
