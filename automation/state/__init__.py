"""What the pipeline remembers between runs: scans, policy refs and history, automation runs.

The only importer of the database layer (sqlite3). Callers use `open_store()` and the
`StateStore` protocol.
"""

from automation.state.records import (
    AutomationRecord,
    HistoryEntry,
    MirrorRecord,
    PolicyRecord,
    ScanRecord,
)
from automation.state.store import (
    STATE_ENV,
    StateStore,
    default_state_path,
    open_store,
    pinned_ref,
    ref_to_write,
)

__all__ = [
    "STATE_ENV",
    "AutomationRecord",
    "HistoryEntry",
    "MirrorRecord",
    "PolicyRecord",
    "ScanRecord",
    "StateStore",
    "default_state_path",
    "open_store",
    "pinned_ref",
    "ref_to_write",
]
