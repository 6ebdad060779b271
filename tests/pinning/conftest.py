"""Shared helpers for the pin/imageset tests: registry access, unique repositories, golden
placeholders, and a docker config that never reads the machine's own ~/.docker."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Mapping
from pathlib import Path

import pytest

from automation.pinning.access import RegistryAccess, registry_options
from automation.registry.platforms import Platform
from tests.rig.images import MANIFEST_ACCEPT
from tests.rig.registry import RegistryServer

# `{{host}}`, `{{ns}}` and `{{digest:REPO:TAG}}`; chart templates (`{{ .Values.x }}`) do not match.
PLACEHOLDER = re.compile(r"\{\{(host|ns|digest:[a-z0-9._/-]+:[A-Za-z0-9._-]+)\}\}")


@pytest.fixture(autouse=True)
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty `$DOCKER_CONFIG` per test; tests that need credentials write config.json."""
    directory = tmp_path / "docker-config"
    directory.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(directory))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    return directory


def write_docker_auth(directory: Path, server: RegistryServer) -> None:
    token = base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
    config = {"auths": {server.host: {"auth": token}}}
    (directory / "config.json").write_text(json.dumps(config))


def unique_ns() -> str:
    return f"pin{uuid.uuid4().hex[:10]}"


def plain_access(platform: Platform | None = None) -> RegistryAccess:
    """What `--insecure` gives: the rig's plain-HTTP registry is reachable."""
    return RegistryAccess(registry_options(None, True), platform)


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace every golden placeholder; an unknown one fails the test loudly."""

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"golden placeholder {{{{{key}}}}} has no value")
        return values[key]

    return PLACEHOLDER.sub(one, text)


def materialize(source: Path, target: Path, values: Mapping[str, str]) -> None:
    """Copy a golden tree, substituting placeholders; bytes (CRLF, BOM) otherwise kept."""
    for path in sorted(source.rglob("*")):
        out = target / path.relative_to(source)
        if path.is_dir():
            out.mkdir(parents=True, exist_ok=True)
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(substitute(path.read_bytes().decode("utf-8"), values).encode("utf-8"))


def head_digest(server: RegistryServer, repo: str, reference: str) -> str:
    """What the registry reports for repo:reference, asked with the rig's own client."""
    with server.client() as http:
        reply = http.head(f"/v2/{repo}/manifests/{reference}", headers={"Accept": MANIFEST_ACCEPT})
    assert reply.status_code == 200, reply
    return str(reply.headers["Docker-Content-Digest"])


def head_status(server: RegistryServer, repo: str, reference: str) -> int:
    with server.client() as http:
        reply = http.head(f"/v2/{repo}/manifests/{reference}", headers={"Accept": MANIFEST_ACCEPT})
    return int(reply.status_code)
