"""Leases on the shared schedule, on a real PostgreSQL server: claims, expiry, triggers, locks."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from automation.state.leases import JobRow, LeaseBoard, Listener
from automation.state.postgres import PostgresStore, open_server

PAST = datetime(2026, 1, 1, tzinfo=UTC)
FUTURE = datetime(2999, 1, 1, tzinfo=UTC)
TTL = timedelta(seconds=1)


@pytest.fixture
def store(postgres_url: str) -> Iterator[PostgresStore]:
    opened = open_server(postgres_url)
    assert isinstance(opened, PostgresStore)
    yield opened
    opened.close()


def boards(store: PostgresStore, n: int, ttl: timedelta = TTL) -> list[LeaseBoard]:
    return [LeaseBoard(store, f"replica-{i}", ttl) for i in range(n)]


def jobs(n: int, when: datetime = PAST, shard: str = "") -> list[JobRow]:
    return [JobRow(f"scan:ns/r{i:03}", timedelta(minutes=5), when, shard) for i in range(n)]


def test_concurrent_claims_never_share_a_job(store: PostgresStore) -> None:
    a, b, c = boards(store, 3)
    a.register(jobs(300))
    claimed: dict[str, list[str]] = {}
    start = threading.Barrier(3)

    def take(board: LeaseBoard) -> None:
        start.wait()
        mine: list[str] = []
        while batch := board.claim_due("", 7):
            mine += [cl.name for cl in batch]
        claimed[board.holder] = mine

    threads = [threading.Thread(target=take, args=(x,)) for x in (a, b, c)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [name for names in claimed.values() for name in names]
    assert sorted(everything) == sorted(r.name for r in jobs(300))  # each exactly once
    assert all(claimed[x.holder] for x in (a, b, c))


def test_release_schedules_the_next_run_and_a_trigger_runs_it_again(store: PostgresStore) -> None:
    (a,) = boards(store, 1)
    a.register(jobs(1))
    [claim] = a.claim_due("", 10)
    assert claim.previous is None and claim.due == PAST
    a.release(claim.name, None)  # next run one interval away
    assert a.claim_due("", 10) == []
    a.trigger([claim.name])
    [again] = a.claim_due("", 10)
    a.trigger([claim.name])  # while held: runs once more right after release
    a.release(again.name, timedelta(hours=1))
    assert [cl.name for cl in a.claim_due("", 10)] == [claim.name]


def test_an_expired_lease_is_taken_over_and_counted(store: PostgresStore) -> None:
    a, b = boards(store, 2)
    a.register(jobs(2))
    held = a.claim_due("", 10)
    assert len(held) == 2 and b.claim_due("", 10) == []
    time.sleep(0.6)
    assert a.renew(c.name for c in held) == {c.name for c in held}
    time.sleep(0.6)  # renewed: still held past the first TTL
    assert b.claim_due("", 10) == []
    time.sleep(1.1)
    taken = b.claim_due("", 10)
    assert {c.previous for c in taken} == {"replica-0"}
    assert a.renew(c.name for c in held) == set()  # a learns it lost them
    a.release(held[0].name, None)  # a late release of a lost lease changes nothing
    assert store.list_scans() == [] and b.holders() == {c.name: "replica-1" for c in taken}


def test_abandon_hands_work_over_at_once(store: PostgresStore) -> None:
    a, b = boards(store, 2, ttl=timedelta(minutes=5))
    a.register(jobs(3))
    held = a.claim_due("", 10)
    assert a.lock("git:https://example.test/repo.git#main")
    a.abandon((c.name for c in held), locks=True)
    assert sorted(c.name for c in b.claim_due("", 10)) == sorted(c.name for c in held)
    assert b.lock("git:https://example.test/repo.git#main")


def test_shards_only_see_their_jobs(store: PostgresStore) -> None:
    a, b = boards(store, 2)
    a.register(jobs(2, shard="blue"))
    a.register([JobRow("scan:ns/plain", timedelta(minutes=1), PAST)])
    assert [c.name for c in a.claim_due("", 10)] == ["scan:ns/plain"]
    assert len(b.claim_due("blue", 10)) == 2


def test_register_keeps_the_schedule_another_replica_set(store: PostgresStore) -> None:
    a, b = boards(store, 2)
    a.register(jobs(1, when=FUTURE))
    b.register(jobs(1, when=PAST))
    assert b.claim_due("", 10) == []
    b.unregister(["scan:ns/r000"])
    b.register(jobs(1, when=PAST))
    assert len(b.claim_due("", 10)) == 1


def test_named_lock_is_exclusive_until_expiry(store: PostgresStore) -> None:
    a, b = boards(store, 2)
    name = "git:https://example.test/repo.git#main"
    assert a.lock(name) and a.lock(name)  # re-entrant for its holder
    assert not b.lock(name)
    a.unlock(name)
    assert b.lock(name) and not a.lock(name)
    time.sleep(1.1)
    assert a.lock(name)


def test_listener_wakes_on_a_trigger_from_another_replica(store: PostgresStore) -> None:
    a, b = boards(store, 2)
    a.register(jobs(1, when=FUTURE))
    woke = threading.Event()
    listener = Listener(store, woke.set)
    listener.start()
    try:
        deadline = time.monotonic() + 5
        while not woke.is_set() and time.monotonic() < deadline:
            b.trigger(["scan:ns/r000"])  # until the listener has subscribed
            woke.wait(0.2)
        assert woke.is_set()
        assert [c.name for c in a.claim_due("", 10)] == ["scan:ns/r000"]
    finally:
        listener.stop()
