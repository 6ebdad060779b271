"""Credential sources: pull secrets, docker config auths, credsStore and credHelpers."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
from pathlib import Path

import pytest

from automation.registry.credentials import (
    Credentials,
    CredentialsError,
    CredentialSources,
    docker_config_path,
    from_dockerconfigjson,
    lookup,
    normalize_host,
)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("key", "host"),
    [
        ("https://index.docker.io/v1/", "index.docker.io"),
        ("docker.io", "index.docker.io"),
        ("registry-1.docker.io", "index.docker.io"),
        ("https://Host:5000/v2/", "host:5000"),
        ("host:5000", "host:5000"),
        ("ghcr.io", "ghcr.io"),
    ],
)
def test_normalize_host(key: str, host: str) -> None:
    assert normalize_host(key) == host


def test_dockerconfigjson_auth_and_split_fields() -> None:
    doc = {
        "auths": {
            "https://index.docker.io/v1/": {"auth": b64("hub:pw:with:colons")},
            "ghcr.io": {"username": "gh", "password": "tok"},
            "other.io": {"identitytoken": "refresh"},
        }
    }
    data = json.dumps(doc).encode()
    assert from_dockerconfigjson(data, "registry-1.docker.io") == Credentials(
        "hub", "pw:with:colons"
    )
    assert from_dockerconfigjson(data, "ghcr.io") == Credentials("gh", "tok")
    assert from_dockerconfigjson(data, "other.io") == Credentials(identity_token="refresh")
    assert from_dockerconfigjson(data, "unknown.io") is None


def test_legacy_dockercfg_without_auths_wrapper() -> None:
    data = json.dumps({"quay.io": {"auth": b64("q:p")}}).encode()
    assert from_dockerconfigjson(data, "quay.io") == Credentials("q", "p")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "expected a JSON object"),
        (json.dumps({"auths": {"h.io": {"auth": "!!!"}}}).encode(), "not base64"),
        (json.dumps({"auths": {"h.io": {"auth": b64("nocolon")}}}).encode(), "no ':'"),
        (json.dumps({"auths": {"h.io": "str"}}).encode(), "not an object"),
    ],
)
def test_bad_pull_secret_is_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(CredentialsError, match=message) as caught:
        from_dockerconfigjson(data, "h.io")
    assert "nocolon" not in str(caught.value)


def test_credentials_repr_hides_secrets() -> None:
    text = repr(Credentials("user", "hunter2", "idtok", "regtok"))
    assert "user" in text
    assert not any(s in text for s in ("hunter2", "idtok", "regtok"))


def _helper(bin_dir: Path, name: str, body: str) -> None:
    script = bin_dir / f"docker-credential-{name}"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def helpers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    known = json.dumps({"ServerURL": "x", "Username": "helper-user", "Secret": "helper-pw"})
    token = json.dumps({"ServerURL": "x", "Username": "<token>", "Secret": "refresh"})
    _helper(
        bin_dir,
        "store",
        "read server\n"
        f"""case "$server" in
  https://index.docker.io/v1/) echo '{known}' ;;
  token.io) echo '{token}' ;;
  *) echo 'credentials not found in native keychain'; exit 1 ;;
esac
""",
    )
    _helper(bin_dir, "broken", "echo 'secret-ish output'; exit 3\n")
    return tmp_path


def _config(tmp_path: Path, doc: dict[str, object]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(doc))
    return path


def test_creds_store_is_asked_with_the_hub_server_url(helpers: Path) -> None:
    path = _config(helpers, {"credsStore": "store"})
    found = asyncio.run(lookup(CredentialSources(docker_config=path), "registry-1.docker.io"))
    assert found == Credentials("helper-user", "helper-pw")


def test_token_username_means_identity_token(helpers: Path) -> None:
    path = _config(helpers, {"credsStore": "store"})
    found = asyncio.run(lookup(CredentialSources(docker_config=path), "token.io"))
    assert found == Credentials(identity_token="refresh")


def test_creds_store_miss_falls_back_to_auths(helpers: Path) -> None:
    path = _config(helpers, {"credsStore": "store", "auths": {"a.io": {"auth": b64("u:p")}}})
    assert asyncio.run(lookup(CredentialSources(docker_config=path), "a.io")) == Credentials(
        "u", "p"
    )


def test_cred_helpers_win_over_creds_store_and_auths(helpers: Path) -> None:
    path = _config(
        helpers,
        {
            "credHelpers": {"b.io": "broken"},
            "credsStore": "store",
            "auths": {"b.io": {"auth": b64("u:p")}},
        },
    )
    with pytest.raises(CredentialsError, match="docker-credential-broken failed \\(exit 3\\)") as e:
        asyncio.run(lookup(CredentialSources(docker_config=path), "b.io"))
    assert "secret-ish" not in str(e.value)


def test_missing_helper_is_a_clear_error(helpers: Path) -> None:
    path = _config(helpers, {"credHelpers": {"c.io": "nosuch"}})
    with pytest.raises(CredentialsError, match="docker-credential-nosuch not found"):
        asyncio.run(lookup(CredentialSources(docker_config=path), "c.io"))


def test_lookup_order_explicit_then_pull_secret_then_docker_config(tmp_path: Path) -> None:
    path = _config(tmp_path, {"auths": {"d.io": {"auth": b64("cfg:1")}}})
    secret = json.dumps({"auths": {"d.io": {"auth": b64("secret:2")}}}).encode()
    explicit = Credentials("explicit", "3")
    sources = CredentialSources(explicit=explicit, pull_secret=secret, docker_config=path)
    assert asyncio.run(lookup(sources, "d.io")) == explicit
    sources = CredentialSources(pull_secret=secret, docker_config=path)
    assert asyncio.run(lookup(sources, "d.io")) == Credentials("secret", "2")
    assert asyncio.run(lookup(sources, "e.io")) is None
    sources = CredentialSources(docker_config=path)
    assert asyncio.run(lookup(sources, "d.io")) == Credentials("cfg", "1")
    missing = CredentialSources(docker_config=tmp_path / "absent.json")
    assert asyncio.run(lookup(missing, "d.io")) is None


def test_docker_config_path_honours_docker_config_env(tmp_path: Path) -> None:
    assert docker_config_path({"DOCKER_CONFIG": str(tmp_path)}) == tmp_path / "config.json"
    assert docker_config_path({}) == Path.home() / ".docker" / "config.json"
