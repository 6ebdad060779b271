"""Cloud provider host checks, the login cache (expiry, refresh, one login per fan-out),
and the parsers of what clouds answer (hostile answers included)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime

import pytest

from automation.errors import RegistryPermanentError, RegistryTransientError
from automation.registry import azure, ecr, providers
from automation.registry.cloudhttp import decode_json, seconds_field
from automation.registry.credentials import Credentials, CredentialsError
from automation.registry.providers import CloudLogins, CloudToken, ProviderMismatchError


@pytest.mark.parametrize(
    ("provider", "host"),
    [
        ("aws", "123456789012.dkr.ecr.us-east-1.amazonaws.com"),
        ("aws", "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com"),
        ("aws", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"),
        ("aws", "123456789012.dkr.ecr.eu-west-1.amazonaws.com:5000"),
        ("gcp", "gcr.io"),
        ("gcp", "eu.gcr.io"),
        ("gcp", "europe-west1-docker.pkg.dev"),
        ("azure", "myreg.azurecr.io"),
        ("azure", "myreg.azurecr.cn:443"),
        ("generic", "ghcr.io"),
    ],
)
def test_provider_serves_host(provider: str, host: str) -> None:
    providers.check_host(provider, host)


@pytest.mark.parametrize(
    ("provider", "host"),
    [
        ("aws", "ghcr.io"),
        # Flux's unanchored pattern would accept these; credentials must not go there.
        ("aws", "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example"),
        ("aws", "evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com"),
        ("aws", "x123.dkr.ecr.us-east-1.amazonaws.com"),
        ("gcp", "gcr.io.evil.example"),
        ("gcp", "notgcr.io"),
        ("azure", "myreg.azurecr.io.evil.example"),
        ("azure", "ghcr.io"),
        ("ibm", "icr.io"),
    ],
)
def test_provider_refuses_foreign_host(provider: str, host: str) -> None:
    with pytest.raises(ProviderMismatchError) as caught:
        providers.check_host(provider, host)
    assert caught.value.retryable is False


def test_ecr_region_comes_from_the_host() -> None:
    assert providers.ecr_region("1.dkr.ecr.ap-southeast-2.amazonaws.com") == "ap-southeast-2"


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def counting_fetch(lifetime: float, clock: FakeClock, calls: list[str]) -> providers.Fetch:
    async def fetch(host: str, post: providers.FormPost) -> CloudToken:
        await asyncio.sleep(0)  # let the other tasks of a fan-out queue up on the lock
        calls.append(host)
        creds = Credentials(username="u", password=f"token-{len(calls)}")
        return CloudToken(creds, clock.now + lifetime)

    return fetch


async def no_post(path: str, form: dict[str, str]) -> tuple[int, bytes]:
    raise AssertionError("not used")


def test_cache_serves_until_the_refresh_margin_then_logs_in_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock(1_000_000.0)
    calls: list[str] = []
    monkeypatch.setitem(providers.FETCHERS, "gcp", counting_fetch(3600, clock, calls))
    logins = CloudLogins(clock=clock)

    async def get() -> str:
        return (await logins.credentials("gcp", "gcr.io", no_post)).password

    assert asyncio.run(get()) == "token-1"
    clock.now += 3600 - providers.REFRESH_MARGIN - 1
    assert asyncio.run(get()) == "token-1"  # still comfortably valid
    clock.now += 2  # inside the margin: refreshed before it expires
    assert asyncio.run(get()) == "token-2"
    assert logins.fetches == 2
    logins.forget("gcp", "gcr.io")
    assert asyncio.run(get()) == "token-3"


def test_short_lived_token_is_refreshed_at_half_life(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock(0.0)
    calls: list[str] = []
    monkeypatch.setitem(providers.FETCHERS, "gcp", counting_fetch(120, clock, calls))
    logins = CloudLogins(clock=clock)
    asyncio.run(logins.credentials("gcp", "gcr.io", no_post))
    clock.now = 59
    asyncio.run(logins.credentials("gcp", "gcr.io", no_post))
    clock.now = 61
    asyncio.run(logins.credentials("gcp", "gcr.io", no_post))
    assert len(calls) == 2


def test_already_expired_token_is_used_once_and_never_cached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock(5000.0)
    calls: list[str] = []
    monkeypatch.setitem(providers.FETCHERS, "gcp", counting_fetch(-10, clock, calls))
    logins = CloudLogins(clock=clock)
    first = asyncio.run(logins.credentials("gcp", "gcr.io", no_post))
    second = asyncio.run(logins.credentials("gcp", "gcr.io", no_post))
    assert (first.password, second.password) == ("token-1", "token-2")


def test_cold_fan_out_logs_in_once_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock(0.0)
    calls: list[str] = []
    monkeypatch.setitem(providers.FETCHERS, "gcp", counting_fetch(3600, clock, calls))
    logins = CloudLogins(clock=clock)

    async def many() -> set[str]:
        hosts = ["gcr.io"] * 20 + ["eu.gcr.io"] * 5
        got = await asyncio.gather(*(logins.credentials("gcp", h, no_post) for h in hosts))
        return {c.password for c in got}

    assert len(asyncio.run(many())) == 2
    assert sorted(calls) == ["eu.gcr.io", "gcr.io"]


def test_mismatched_host_never_reaches_a_fetcher(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setitem(providers.FETCHERS, "aws", counting_fetch(60, FakeClock(0), calls))
    with pytest.raises(ProviderMismatchError):
        asyncio.run(CloudLogins().credentials("aws", "ghcr.io", no_post))
    assert calls == []


def ecr_answer(token: object, expires: object = None) -> dict[str, object]:
    when = expires if expires is not None else datetime(2030, 1, 1, tzinfo=UTC)
    return {"authorizationData": [{"authorizationToken": token, "expiresAt": when}]}


def test_ecr_answer_decodes_to_basic_credentials() -> None:
    token = base64.b64encode(b"AWS:secret-password").decode()
    creds, expires = ecr._decode(ecr_answer(token), "h")
    assert (creds.username, creds.password) == ("AWS", "secret-password")
    assert expires == datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    assert "secret-password" not in repr(creds)


@pytest.mark.parametrize(
    "answer",
    [
        {},
        {"authorizationData": []},
        ecr_answer("not base64!"),
        ecr_answer(base64.b64encode(b"no-colon").decode()),
        ecr_answer(base64.b64encode(b"\xff\xfe:x").decode()),
        ecr_answer(12),
        ecr_answer("A" * (1 << 20)),
        ecr_answer(base64.b64encode(b"AWS:x").decode(), expires="tomorrow"),
    ],
)
def test_hostile_ecr_answers_are_errors_without_the_token(answer: dict[str, object]) -> None:
    with pytest.raises(RegistryTransientError) as caught:
        ecr._decode(answer, "h")
    assert "AWS:" not in str(caught.value)


def test_missing_botocore_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecr, "botocore", None)
    with pytest.raises(CredentialsError, match=r"image-automation\[aws\]"):
        ecr.authorization_token("1.dkr.ecr.us-east-1.amazonaws.com", "us-east-1")


def test_jwt_expiry_reads_exp_and_ignores_garbage() -> None:
    def jwt(payload: bytes) -> str:
        return "e30." + base64.urlsafe_b64encode(payload).rstrip(b"=").decode() + ".sig"

    assert azure.jwt_expiry(jwt(json.dumps({"exp": 1700000000}).encode())) == 1700000000.0
    assert azure.jwt_expiry(jwt(b'{"exp": "soon"}')) is None
    assert azure.jwt_expiry(jwt(b'{"exp": true}')) is None
    assert azure.jwt_expiry(jwt(b"[1]")) is None
    assert azure.jwt_expiry(jwt(b"\xff")) is None
    assert azure.jwt_expiry("a.b") is None
    assert azure.jwt_expiry("a.!!!.c") is None


def test_azure_audience_follows_the_cloud() -> None:
    assert azure.audience("r.azurecr.io") == "https://management.azure.com"
    assert azure.audience("r.azurecr.cn:443") == "https://management.chinacloudapi.cn"
    assert azure.audience("r.azurecr.us") == "https://management.usgovcloudapi.net"


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"expires_in": 3599}, 3599.0),
        ({"expires_in": "3599"}, 3599.0),  # Azure IMDS sends strings
        ({"expires_in": "NaN"}, 0.0),
        ({"expires_in": "nope"}, 0.0),
        ({"expires_in": -5}, 0.0),
        ({"expires_in": 1e300}, 7 * 86400.0),
        ({"expires_in": [1]}, 0.0),
    ],
)
def test_expires_in_is_bounded(doc: dict[str, object], expected: float) -> None:
    assert seconds_field(doc, "expires_in", 0.0) == expected


def test_identity_endpoint_errors_never_quote_the_body() -> None:
    with pytest.raises(RegistryPermanentError) as caught:
        decode_json(401, b'{"access_token": "leaked"}', where="x", registry="r")
    assert "leaked" not in str(caught.value)
    with pytest.raises(RegistryTransientError):
        decode_json(200, b"[]", where="x", registry="r")


def test_deeply_nested_json_is_no_crash() -> None:
    deep = b"[" * 100_000
    with pytest.raises(RegistryTransientError, match="not JSON"):
        decode_json(200, deep, where="x", registry="r")
    token = "e30." + base64.urlsafe_b64encode(deep).rstrip(b"=").decode() + ".sig"
    assert azure.jwt_expiry(token[: 200 << 10]) is None
