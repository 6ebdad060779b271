"""Scan results, the scan decision (time as a parameter) and scanning many repositories."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from automation.errors import RegistryTransientError
from automation.registry import (
    RegistryClient,
    ScanOptions,
    ScanTarget,
    scan_many,
    scan_repository,
)
from automation.registry.exclusion import InvalidExclusionError
from automation.registry.faults import RegistryDataError
from automation.registry.scan import summarise
from tests.registry.mock_registry import HOST, FakeSleep, image, mock_client, tags_body

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_summarise_sorts_descending_bytewise_dedupes_and_hashes() -> None:
    tags = ["1.10.0", "1.9.0", "v2", "V3", "latest", "1.9.0", "_a", "a", "B"] + [
        f"z{i}" for i in range(5)
    ]
    result = summarise("reg.test/team/app", tags, dropped=2, now=NOW)
    expected = sorted(set(tags), key=lambda t: t.encode(), reverse=True)
    assert list(result.tags) == expected
    assert result.tags[:3] == ("z4", "z3", "z2")
    assert result.tag_count == 13
    assert result.latest_tags == tuple(expected[:10])
    digest = hashlib.sha256("\n".join(expected).encode()).hexdigest()
    assert result.revision == f"sha256:{digest}"
    assert result.scan_time == NOW and result.dropped_tags == 2


def test_revision_depends_only_on_the_tag_set() -> None:
    a = summarise("x", ["1", "2", "3"], 0, NOW)
    b = summarise("x", ["3", "1", "2", "2"], 0, NOW + HOUR)
    c = summarise("x", ["1", "2"], 0, NOW)
    assert a.revision == b.revision != c.revision


def test_scan_repository_applies_exclusions_and_stamps_time() -> None:
    client, _, _ = mock_client(
        lambda r: httpx.Response(200, content=tags_body(["1.0", "1.0.sig", "2.0-rc1", "2.0"]))
    )
    result = asyncio.run(scan_repository(client, image(), ["-rc"], now=lambda: NOW))
    assert result.tags == ("2.0", "1.0.sig", "1.0")
    assert result.canonical_name == f"{HOST}/team/app"
    assert result.scan_time == NOW


def test_bad_exclusion_fails_before_any_request() -> None:
    client, recorder, _ = mock_client(lambda r: httpx.Response(200, content=tags_body([])))
    with pytest.raises(InvalidExclusionError):
        asyncio.run(scan_repository(client, image(), ["(?<=x)"]))
    assert recorder.requests == []


def test_spec_timeout_bounds_the_whole_scan() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        await asyncio.sleep(5)
        return httpx.Response(200, content=tags_body(["v1"]))

    client = RegistryClient(
        HOST, ScanOptions(rate=None, timeout=0.05), transport=httpx.MockTransport(slow)
    )
    with pytest.raises(RegistryTransientError, match=r"scan timed out after 0\.05s"):
        asyncio.run(scan_repository(client, image()))


def test_scan_many_shares_one_client_and_one_probe_per_registry() -> None:
    probes: dict[str, int] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if request.url.path == "/v2/":
            probes[host] = probes.get(host, 0) + 1
            return httpx.Response(200)
        if "missing" in request.url.path:
            return httpx.Response(404)
        return httpx.Response(200, content=tags_body([host.split(".")[0]]))

    built: list[str] = []

    def factory(host: str, options: ScanOptions) -> RegistryClient:
        built.append(host)
        return RegistryClient(host, options, transport=httpx.MockTransport(handler))

    options = ScanOptions(rate=None)
    targets = [
        ScanTarget(f"ns/{i}", image(f"team/app{i}", host=host), (), options)
        for i, host in enumerate(["one.test", "two.test"] * 10)
    ] + [ScanTarget("ns/missing", image("team/missing", host="one.test"), (), options)]
    outcomes = asyncio.run(scan_many(targets, client_factory=factory, now=lambda: NOW))
    assert sorted(built) == ["one.test", "two.test"]
    assert probes == {"one.test": 1, "two.test": 1}
    assert [o.target.key for o in outcomes] == [t.key for t in targets]
    assert all(o.result is not None for o in outcomes[:-1])
    assert outcomes[0].result is not None and outcomes[0].result.tags == ("one",)
    assert outcomes[1].result is not None and outcomes[1].result.tags == ("two",)
    assert outcomes[-1].error is not None and "HTTP 404" in str(outcomes[-1].error)


def test_a_dead_registry_fails_all_its_scans_fast() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    clients: list[RegistryClient] = []
    sleep = FakeSleep()

    def factory(host: str, options: ScanOptions) -> RegistryClient:
        transport = httpx.MockTransport(handler)
        clients.append(RegistryClient(host, options, transport=transport, sleep=sleep))
        return clients[-1]

    options = ScanOptions(rate=None)
    targets = [ScanTarget(f"ns/{i}", image(f"a/b{i}"), (), options) for i in range(30)]

    outcomes = asyncio.run(scan_many(targets, client_factory=factory))
    assert {str(o.error) for o in outcomes} == {f"{HOST}: connect: cannot connect"}
    # The probe's retries happen once for the registry, not once per repository.
    assert clients[0].requests == ScanOptions().retry.attempts
    assert len(sleep.delays) == ScanOptions().retry.attempts - 1


def test_deeply_nested_json_fails_only_its_own_repository() -> None:
    """`[` nested past the interpreter's stack raised RecursionError, which escaped the
    per-repository handling and failed every scan of the batch."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        if "hostile" in request.url.path:
            return httpx.Response(200, content=b'{"tags": ' + b"[" * 200_000)
        return httpx.Response(200, content=tags_body(["v1"]))

    def factory(host: str, options: ScanOptions) -> RegistryClient:
        return RegistryClient(host, options, transport=httpx.MockTransport(handler))

    options = ScanOptions(rate=None)
    targets = [
        ScanTarget("ns/good", image("team/good"), (), options),
        ScanTarget("ns/hostile", image("team/hostile"), (), options),
        ScanTarget("ns/also-good", image("team/also-good"), (), options),
    ]
    outcomes = asyncio.run(scan_many(targets, client_factory=factory, now=lambda: NOW))
    good, hostile, also_good = outcomes
    assert good.result is not None and good.result.tags == ("v1",)
    assert also_good.result is not None and also_good.result.tags == ("v1",)
    assert isinstance(hostile.error, RegistryDataError)
    assert "nested too deeply" in str(hostile.error)


def test_an_unexpected_failure_in_one_scan_leaves_the_others_alone() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        if "broken" in request.url.path:
            raise RuntimeError("a bug, not a registry error")
        return httpx.Response(200, content=tags_body(["v1"]))

    def factory(host: str, options: ScanOptions) -> RegistryClient:
        return RegistryClient(host, options, transport=httpx.MockTransport(handler))

    options = ScanOptions(rate=None)
    targets = [
        ScanTarget("ns/broken", image("team/broken"), (), options),
        ScanTarget("ns/good", image("team/good"), (), options),
    ]
    broken, good = asyncio.run(scan_many(targets, client_factory=factory, now=lambda: NOW))
    assert good.result is not None and good.result.tags == ("v1",)
    assert broken.result is None and "RuntimeError" in str(broken.error)
