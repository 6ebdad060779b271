"""The StateStore protocol on both stores: scans, policy history, pins, automations, mirrors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from automation.reference import LatestRef
from automation.state import AutomationRecord, PolicyRecord, ScanRecord, StateStore, pinned_ref

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_scan_round_trip_keeps_every_tag(store: StateStore) -> None:
    tags = [f"1.0.{i}" for i in range(100_000)]
    record = ScanRecord(
        key="ns/app",
        canonical_name="ghcr.io/org/app",
        tag_count=len(tags),
        scan_time=NOW,
        revision="sha256:abc",
        latest_tags=("1.0.99999",),
        spec_hash="h1",
    )
    store.put_scan(record, tags)
    assert store.get_scan("ns/app") == record
    assert store.get_tags("ns/app") == tags
    assert store.get_tags("ns/other") is None
    assert [s.key for s in store.list_scans()] == ["ns/app"]


def test_empty_tag_list_is_not_missing(store: StateStore) -> None:
    store.put_scan(ScanRecord(key="ns/app", scan_time=NOW), [])
    assert store.get_tags("ns/app") == []


def test_scan_error_keeps_the_last_good_tags(store: StateStore) -> None:
    store.put_scan(ScanRecord(key="ns/app", tag_count=2, scan_time=NOW), ["a", "b"])
    store.record_scan_error("ns/app", "registry down", NOW + timedelta(minutes=5))
    scan = store.get_scan("ns/app")
    assert scan is not None and scan.last_error == "registry down"
    assert scan.tag_count == 2 and store.get_tags("ns/app") == ["a", "b"]


def test_policy_history_grows_only_when_the_ref_changes(store: StateStore) -> None:
    one, two = LatestRef("app", "1.0.0"), LatestRef("app", "1.0.0", "sha256:" + "b" * 64)
    store.record_policy(PolicyRecord("ns/p", latest_ref=one), reason="new tag", now=NOW)
    again = store.record_policy(PolicyRecord("ns/p", latest_ref=one), reason="new tag", now=NOW)
    assert again.generation == 1
    moved = store.record_policy(
        PolicyRecord("ns/p", latest_ref=two, observed_previous_ref=one),
        reason="moved digest",
        now=NOW + timedelta(hours=1),
    )
    assert moved.generation == 2 and moved.observed_previous_ref == one
    history = store.history("ns/p")
    assert [(h.generation, h.ref, h.reason) for h in history] == [
        (1, one, "new tag"),
        (2, two, "moved digest"),
    ]
    assert history[1].time == NOW + timedelta(hours=1)


def test_pin_survives_new_evaluations_until_released(store: StateStore) -> None:
    one, two = LatestRef("app", "1.0.0"), LatestRef("app", "2.0.0")
    store.record_policy(PolicyRecord("ns/p", latest_ref=one), reason="new tag", now=NOW)
    store.record_policy(PolicyRecord("ns/p", latest_ref=two), reason="new tag", now=NOW)
    store.set_pin("ns/p", 1)
    store.record_policy(PolicyRecord("ns/p", latest_ref=two), reason="new tag", now=NOW)
    assert pinned_ref(store, "ns/p") == one
    store.set_pin("ns/p", None)
    assert pinned_ref(store, "ns/p") is None


def test_policy_error_does_not_lose_the_ref(store: StateStore) -> None:
    ref = LatestRef("app", "1.0.0")
    store.record_policy(PolicyRecord("ns/p", latest_ref=ref), reason="new tag", now=NOW)
    store.record_policy_error("ns/p", "no tag matches", NOW)
    record = store.get_policy("ns/p")
    assert record is not None and record.latest_ref == ref and record.last_error == "no tag matches"


def test_automation_round_trip(store: StateStore) -> None:
    record = AutomationRecord(
        key="ns/a",
        last_run_time=NOW,
        last_push_commit="f" * 40,
        last_push_time=NOW,
        observed_policies={"p": LatestRef("app", "1.0.0", "sha256:" + "c" * 64)},
        observed_source_revision="main@sha1:" + "f" * 40,
        failures=0,
    )
    store.put_automation(record)
    assert store.get_automation("ns/a") == record
    assert store.list_automations() == [record]


def test_failed_transaction_leaves_previous_scan(store: StateStore) -> None:
    store.put_scan(ScanRecord(key="ns/app", tag_count=1, scan_time=NOW), ["old"])

    class Boom(Exception):
        pass

    with pytest.raises(Boom), store._tx() as db:  # type: ignore[attr-defined]
        db.execute("UPDATE scans SET tag_count = 99 WHERE key = 'ns/app'")
        raise Boom
    scan = store.get_scan("ns/app")
    assert scan is not None and scan.tag_count == 1
