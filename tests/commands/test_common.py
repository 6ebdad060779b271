"""Opening the state a command names: a SQLite path or a PostgreSQL URL, from --state or env."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.commands.common import open_state
from automation.errors import UsageError
from automation.state.postgres import PostgresStore
from automation.state.sqlite import SQLiteStore


def test_a_server_url_in_the_environment_opens_postgresql(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGE_AUTOMATION_STATE", postgres_url)
    store = open_state(None)
    assert isinstance(store, PostgresStore) and store.where == postgres_url
    store.close()


def test_a_path_opens_sqlite_and_the_flag_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGE_AUTOMATION_STATE", "postgresql://nobody@127.0.0.1:1/none")
    store = open_state(str(tmp_path / "s.db"))
    assert isinstance(store, SQLiteStore) and store.path == tmp_path / "s.db"
    store.close()


def test_a_password_in_a_state_url_is_refused_before_connecting() -> None:
    with pytest.raises(UsageError, match="not in the URL"):
        open_state("postgres://user:hunter2@127.0.0.1:1/db")
