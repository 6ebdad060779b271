"""A state store with three generations of one policy, for `history` and `rollback`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.reference import LatestRef
from automation.state import PolicyRecord, open_store

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    store = open_store(path)
    for i, tag in enumerate(["6.0.0", "6.1.0", "6.2.0"]):
        ref = LatestRef("ghcr.io/org/app", tag)
        store.record_policy(
            PolicyRecord("apps/podinfo", latest_ref=ref, message=f"resolved to {tag}"),
            reason="new tag",
            now=T0 + timedelta(days=i),
        )
    store.close()
    return path
