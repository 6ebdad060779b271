"""PostgreSQL-only behaviour: schema versions, passwords, concurrent writers, a server restart."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from automation.errors import StateError, UsageError
from automation.reference import LatestRef
from automation.state import PolicyRecord, ScanRecord
from automation.state.postgres import PostgresStore, open_server
from automation.state.schema import SCHEMA_VERSION
from tests.rig.postgres import PASSWORD, PostgresServer

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_schema_version_matches_sqlite_and_reopen_keeps_data(postgres_url: str) -> None:
    first = open_server(postgres_url)
    first.put_scan(ScanRecord(key="ns/app", scan_time=NOW), ["x"])
    first.close()
    second = open_server(postgres_url)
    assert isinstance(second, PostgresStore)
    assert second.schema_version() == SCHEMA_VERSION
    assert second.get_tags("ns/app") == ["x"]
    second.close()


def test_newer_schema_is_refused(postgres_url: str) -> None:
    open_server(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = version + 1 WHERE component = 'state'")
    with pytest.raises(StateError, match="newer than this program"):
        open_server(postgres_url)


def test_password_in_the_url_is_refused(postgres_server: PostgresServer) -> None:
    url = postgres_server.url().replace("automation@", f"automation:{PASSWORD}@")
    with pytest.raises(UsageError, match="PGPASSWORD") as err:
        open_server(url)
    assert PASSWORD not in str(err.value)
    with pytest.raises(UsageError, match="not in the URL"):
        open_server(postgres_server.url() + "?password=x")


def test_password_from_a_secret_file(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    monkeypatch.setenv("IMAGE_AUTOMATION_STATE_PASSWORD_FILE", str(secret))
    open_server(postgres_server.url()).close()
    secret.write_text("wrong")
    with pytest.raises(StateError, match="cannot open state store") as err:
        open_server(postgres_server.url())
    assert "wrong" not in str(err.value) and PASSWORD not in str(err.value)


def test_concurrent_writers_add_one_generation(postgres_url: str) -> None:
    """Replicas evaluating one policy at once: the row lock makes the second see the first."""
    stores = [open_server(postgres_url) for _ in range(4)]
    ref = LatestRef("app", "2.0.0")
    start = threading.Barrier(len(stores))

    def evaluate(store: object) -> None:
        assert isinstance(store, PostgresStore)
        start.wait()
        store.record_policy(PolicyRecord("ns/p", latest_ref=ref), reason="new tag", now=NOW)

    threads = [threading.Thread(target=evaluate, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [h.generation for h in stores[0].history("ns/p")] == [1]
    for s in stores:
        s.close()


def test_store_recovers_after_a_server_restart(
    postgres_server: PostgresServer, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_server(postgres_url)
    store.put_scan(ScanRecord(key="ns/app", scan_time=NOW), ["1"])
    postgres_server.restart()
    assert store.get_tags("ns/app") == ["1"]  # the pool replaced its dead connection
    postgres_server.stop()
    try:
        monkeypatch.setattr("automation.state.pgserver.CONNECT_WAIT", 1.0)
        with pytest.raises(StateError) as err:
            store.get_scan("ns/app")
        assert PASSWORD not in str(err.value)
        assert store.server.reachable is False  # what the daemon's /readyz reads
    finally:
        monkeypatch.setattr("automation.state.pgserver.CONNECT_WAIT", 15.0)
        postgres_server.start()
    assert store.get_tags("ns/app") == ["1"]
    assert store.server.reachable is True
    store.close()


def test_a_stale_evaluation_does_not_step_the_ref_back(postgres_url: str) -> None:
    store = open_server(postgres_url)
    new, old = LatestRef("app", "2.0.0"), LatestRef("app", "1.0.0")
    later = NOW + timedelta(seconds=5)
    store.record_policy(PolicyRecord("ns/p", latest_ref=new), reason="new tag", now=later)
    kept = store.record_policy(PolicyRecord("ns/p", latest_ref=old), reason="new tag", now=NOW)
    assert kept.latest_ref == new and [h.ref for h in store.history("ns/p")] == [new]
    store.close()
