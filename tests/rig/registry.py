"""Real OCI registries for the tests: Debian's ``docker-registry`` (CNCF distribution 2.8).

Session fixtures (one process per kind; tests stay independent by using unique repository names):
``registry`` (plain HTTP, no auth), ``registry_basic_tls`` (htpasswd basic auth over TLS with a CA
made for the session), ``registry_token`` (``auth.token`` backed by ``tokens.TokenIssuer``).
``registry_factory`` starts extra registries (mirrors, custom config) that stop with the test.
Each yields a frozen ``RegistryServer``; processes are stopped by pid at teardown.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import shutil
import ssl
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx
import pytest

from tests.rig import certs
from tests.rig.bearer import BearerAuth
from tests.rig.ports import LOCALHOST, free_port
from tests.rig.procs import ManagedProcess, ProcessStartError, start_process
from tests.rig.tokens import TokenIssuer

REGISTRY_BINARY = "/usr/bin/docker-registry"
TOKEN_SERVICE = "rig-registry"
TOKEN_ISSUER = "rig-token-issuer"
START_ATTEMPTS = 3
AuthKind = Literal["none", "basic", "token"]


@dataclass(frozen=True)
class RegistryServer:
    """How to reach one running registry, and the test-side client for seeding it."""

    host: str  # "127.0.0.1:PORT"
    url: str  # "http(s)://127.0.0.1:PORT"
    scheme: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    token_realm: str | None = None
    issuer: TokenIssuer | None = field(default=None, compare=False)
    storage: Path | None = None
    pid: int | None = None

    def ssl_context(self) -> ssl.SSLContext | bool:
        """A context trusting the registry's CA (TLS), or httpx's default verification."""
        if self.ca_file is None:
            return True
        return ssl.create_default_context(cafile=str(self.ca_file))

    def client(self, *, timeout: float = 30.0, max_connections: int = 16) -> httpx.Client:
        """An httpx client with base_url, CA trust and credentials set up for pushing."""
        auth: httpx.Auth | None = None
        if self.token_realm is not None:
            auth = BearerAuth(self.username, self.password)
        elif self.username is not None:
            auth = httpx.BasicAuth(self.username, self.password or "")
        return httpx.Client(
            base_url=self.url,
            auth=auth,
            verify=self.ssl_context(),
            timeout=timeout,
            trust_env=False,  # 127.0.0.1 only: never through an HTTP(S)_PROXY from the env
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        )

    def ref(self, repo: str, tag: str) -> str:
        """The image reference ``host/repo:tag`` a policy file would name."""
        return f"{self.host}/{repo}:{tag}"


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def base_config(storage: Path) -> dict[str, Any]:
    """Distribution config shared by every rig registry (JSON is valid YAML for it)."""
    return {
        "version": "0.1",
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(storage)},
            "delete": {"enabled": True},
            "cache": {"blobdescriptor": "inmemory"},
            "maintenance": {"uploadpurging": {"enabled": False}},
        },
        "http": {"secret": secrets.token_hex(16)},
    }


def write_htpasswd(path: Path, username: str, password: str) -> None:
    """bcrypt entry via apache2-utils; cost 4 because the registry checks it on every request."""
    htpasswd = shutil.which("htpasswd")
    if htpasswd is None:
        raise RuntimeError("htpasswd not found: install apache2-utils (scripts/setup.sh does)")
    line = subprocess.run(
        [htpasswd, "-Bbn", "-C", "4", username, password],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    path.write_text(line + "\n")


def _answers(url: str, verify: ssl.SSLContext | bool) -> bool:
    """True once a distribution registry (not whatever else took the port) answers /v2/."""
    try:
        response = httpx.get(f"{url}/v2/", verify=verify, timeout=1.0, trust_env=False)
    except httpx.HTTPError:
        return False
    api_version: str | None = response.headers.get("Docker-Distribution-Api-Version")
    return api_version == "registry/2.0"


def _launch(
    workdir: Path,
    config: dict[str, Any],
    scheme: str,
    verify: ssl.SSLContext | bool,
    env: Mapping[str, str] | None,
) -> tuple[ManagedProcess, int]:
    """Start the binary on a free port, retrying when another process took the port first."""
    for attempt in range(1, START_ATTEMPTS + 1):
        port = free_port()
        config["http"]["addr"] = f"{LOCALHOST}:{port}"
        config_path = workdir / "config.yml"
        config_path.write_text(json.dumps(config, indent=2))
        url = f"{scheme}://{LOCALHOST}:{port}"
        try:
            proc = start_process(
                "docker-registry",
                [REGISTRY_BINARY, "serve", str(config_path)],
                log_path=workdir / "registry.log",
                ready=functools.partial(_answers, url, verify),
                env={**os.environ, **(env or {})},
            )
        except ProcessStartError as err:
            if attempt == START_ATTEMPTS or "address already in use" not in str(err):
                raise
            continue
        return proc, port
    raise AssertionError("unreachable")


@contextlib.contextmanager
def running_registry(
    workdir: Path,
    *,
    auth: AuthKind = "none",
    tls: bool = False,
    config: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[RegistryServer]:
    """Run one registry in ``workdir`` for the duration of the ``with`` block.

    ``config`` is deep-merged into the generated distribution config (e.g. a ``proxy`` section
    for a pull-through mirror); ``env`` is added to the process environment (e.g. SSL_CERT_FILE
    so a mirror trusts an upstream's CA).
    """
    storage = workdir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    cfg = base_config(storage)
    fields: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:
        if tls:
            ca = certs.new_ca("rig registry CA")
            ca_file, _ = ca.write(workdir, "ca")
            cert_file, key_file = certs.localhost_server_cert(ca).write(workdir, "server")
            cfg["http"]["tls"] = {"certificate": str(cert_file), "key": str(key_file)}
            fields["ca_file"] = ca_file
        if auth != "none":
            fields["username"] = "rig-user"
            fields["password"] = secrets.token_urlsafe(12)
        if auth == "basic":
            htpasswd = workdir / "htpasswd"
            write_htpasswd(htpasswd, fields["username"], fields["password"])
            cfg["auth"] = {"htpasswd": {"realm": "rig-basic", "path": str(htpasswd)}}
        elif auth == "token":
            issuer = stack.enter_context(_token_issuer(workdir, fields, cfg))
            fields |= {"issuer": issuer, "token_realm": issuer.realm}
        cfg = _deep_merge(cfg, config or {})
        scheme = "https" if tls else "http"
        verify = ssl.create_default_context(cafile=str(fields["ca_file"])) if tls else True
        proc, port = _launch(workdir, cfg, scheme, verify, env)
        stack.callback(proc.stop)
        yield RegistryServer(
            host=f"{LOCALHOST}:{port}",
            url=f"{scheme}://{LOCALHOST}:{port}",
            scheme=scheme,
            storage=storage,
            pid=proc.pid,
            **fields,
        )


@contextlib.contextmanager
def _token_issuer(
    workdir: Path, fields: dict[str, Any], cfg: dict[str, Any]
) -> Iterator[TokenIssuer]:
    """Start an issuer for ``fields``' user and point ``cfg``'s auth.token section at it."""
    signing_ca = certs.new_ca("rig token signing CA")
    bundle, _ = signing_ca.write(workdir, "token-ca")
    signer = certs.issue(signing_ca, "rig token signer", server_auth=False)
    with TokenIssuer(
        issuer=TOKEN_ISSUER,
        service=TOKEN_SERVICE,
        users={fields["username"]: fields["password"]},
        signer=signer,
    ) as issuer:
        cfg["auth"] = {
            "token": {
                "realm": issuer.realm,
                "service": TOKEN_SERVICE,
                "issuer": TOKEN_ISSUER,
                "rootcertbundle": str(bundle),
            }
        }
        yield issuer


class RegistryFactory(Protocol):
    def __call__(
        self,
        *,
        auth: AuthKind = "none",
        tls: bool = False,
        config: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> RegistryServer: ...


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """Plain-HTTP registry without auth, shared by the session."""
    with running_registry(tmp_path_factory.mktemp("registry")) as server:
        yield server


@pytest.fixture(scope="session")
def registry_basic_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """HTTPS registry (session CA in ``ca_file``) with htpasswd basic auth."""
    workdir = tmp_path_factory.mktemp("registry-basic-tls")
    with running_registry(workdir, auth="basic", tls=True) as server:
        yield server


@pytest.fixture(scope="session")
def registry_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """Plain-HTTP registry using bearer tokens from ``server.issuer``."""
    with running_registry(tmp_path_factory.mktemp("registry-token"), auth="token") as server:
        yield server


@pytest.fixture
def registry_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryFactory]:
    """Start extra registries inside one test; all of them stop when the test ends."""
    with contextlib.ExitStack() as stack:

        def start(
            *,
            auth: AuthKind = "none",
            tls: bool = False,
            config: Mapping[str, Any] | None = None,
            env: Mapping[str, str] | None = None,
        ) -> RegistryServer:
            workdir = tmp_path_factory.mktemp("registry-extra")
            return stack.enter_context(
                running_registry(workdir, auth=auth, tls=tls, config=config, env=env)
            )

        yield start
