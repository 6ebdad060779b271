"""`store`: every StateStore test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from automation.state import StateStore, open_store
from automation.state.postgres import open_server


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    if request.param == "sqlite":
        opened = open_store(tmp_path / "nested" / "state.db")
    else:
        opened = open_server(request.getfixturevalue("postgres_url"))
    yield opened
    opened.close()
