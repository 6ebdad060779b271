"""Scan ImageRepositories that are due and store the results; resolve digests for policies.

In: config (with secrets), state, `now`. Out: one `RepositoryOutcome` per repository, results
and errors written to the state store (a failed scan keeps the last good tag list).
`is_scan_due` is the pure "should we scan now?" decision; time is always a parameter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from automation.config import Config, ImageRepository
from automation.config.base import LocalRef
from automation.errors import AutomationError, StalledError, StateError
from automation.reference import ImageName, parse_repository
from automation.registry import (
    CredentialSources,
    ProxyConfig,
    RegistryClient,
    ScanOptions,
    ScanResult,
    ScanTarget,
    scan_many,
)
from automation.registry.credentials import docker_config_path
from automation.registry.signatures import PublicKey, Verifier
from automation.sourcelinks import ImageSource
from automation.state import ScanRecord, StateStore
from automation.steps.due import SLACK, spec_hash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepositoryOutcome:
    key: str
    revision: str = ""
    tag_count: int = 0
    changed: bool = False  # the tag set differs from the previous scan
    error: str = ""
    skipped: str = ""
    stalled: bool = False  # the error is the configuration's (StalledError): retrying won't help


def repository_hash(repo: ImageRepository) -> str:
    """What makes a rescan due when it changes: the image and the exclusion list."""
    return spec_hash(repo.spec.image, "\n".join(repo.spec.effective_exclusion_list))


def _secret_values(config: Config, repo: ImageRepository, ref: LocalRef | None) -> dict[str, bytes]:
    if ref is None:
        return {}
    return config.secret(repo.metadata.namespace, ref.name, needed_by=repo).values


def connection_options(
    config: Config,
    repo: ImageRepository,
    *,
    insecure: bool,
    secret_ref: LocalRef | None,
    cert_secret_ref: LocalRef | None,
    proxy: ProxyConfig | None = None,
    timeout: float | None = None,
    provider: str = "generic",
) -> ScanOptions:
    """TLS (certSecretRef: ca.crt, tls.crt/tls.key, or the legacy names) and credentials
    (a dockerconfigjson secretRef, then the docker config) for one registry."""
    certs = _secret_values(config, repo, cert_secret_ref)
    pull = _secret_values(config, repo, secret_ref)
    return ScanOptions(
        insecure=insecure,
        ca_pem=certs.get("ca.crt") or certs.get("caFile"),
        client_cert_pem=certs.get("tls.crt") or certs.get("certFile"),
        client_key_pem=certs.get("tls.key") or certs.get("keyFile"),
        proxy=proxy,
        timeout=timeout,
        credentials=CredentialSources(
            pull_secret=pull.get(".dockerconfigjson"),
            docker_config=docker_config_path(),
            provider=provider,
        ),
    )


def scan_options(config: Config, repo: ImageRepository) -> ScanOptions:
    """Transport, TLS, proxy and credentials of one ImageRepository, from its secrets."""
    spec = repo.spec
    proxy_values = _secret_values(config, repo, spec.proxy_secret_ref)
    proxy = None
    if proxy_values:
        if not proxy_values.get("address"):
            raise AutomationError(f"ImageRepository {repo.key}: proxy secret has no 'address'")
        proxy = ProxyConfig(
            proxy_values["address"].decode(),
            proxy_values.get("username", b"").decode(),
            proxy_values.get("password", b"").decode(),
        )
    return connection_options(
        config,
        repo,
        insecure=spec.insecure,
        secret_ref=spec.secret_ref,
        cert_secret_ref=spec.cert_secret_ref,
        proxy=proxy,
        timeout=spec.effective_timeout.total_seconds(),
        provider=spec.provider,
    )


def is_scan_due(
    now: datetime,
    last_scan_time: datetime | None,
    interval: timedelta,
    spec_changed: bool = False,
    forced: bool = False,
) -> bool:
    """Flux's `shouldScan`: never scanned, forced, spec changed, or `interval` has passed.

    A last scan in the future (the clock went back) counts as due rather than postponing
    scans by the size of the jump.
    """
    if forced or spec_changed or last_scan_time is None or last_scan_time > now:
        return True
    return last_scan_time + interval - now < SLACK


def _due(scan: ScanRecord | None, repo: ImageRepository, now: datetime, force: bool) -> bool:
    # A scan time is only ever stored together with the tag list (`put_scan`), so the list
    # need not be read (and decompressed) to know it is there.
    if scan is None or scan.scan_time is None:
        return True
    changed = scan.spec_hash != repository_hash(repo)
    return is_scan_due(
        now, scan.scan_time, repo.spec.interval, changed, force or bool(scan.last_error)
    )


async def scan_repositories(
    config: Config,
    store: StateStore,
    now: datetime,
    *,
    force: bool = False,
    only: set[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[RepositoryOutcome]:
    """Scan every due (or named, or all with `force`) repository concurrently."""
    outcomes: dict[str, RepositoryOutcome] = {}
    targets: list[ScanTarget] = []
    for key, repo in sorted(config.image_repositories.items()):
        if only is not None and str(key) not in only:
            continue
        if repo.spec.suspend:
            outcomes[str(key)] = RepositoryOutcome(str(key), skipped="suspended")
        elif not _due(scan := store.get_scan(str(key)), repo, now, force or only is not None):
            outcomes[str(key)] = RepositoryOutcome(
                str(key),
                scan.revision if scan else "",
                scan.tag_count if scan else 0,
                skipped="not due",
            )
        else:
            try:
                image = parse_repository(repo.spec.image)
                options = scan_options(config, repo)
            except AutomationError as err:
                stalled = isinstance(err, StalledError)
                outcomes[str(key)] = _failed(store, str(key), str(err), now, stalled=stalled)
                continue
            exclusions = tuple(repo.spec.effective_exclusion_list)
            targets.append(ScanTarget(str(key), image, exclusions, options))
    repos = {str(k): r for k, r in config.image_repositories.items()}
    finished = 0

    def done(_: object) -> None:
        nonlocal finished
        finished += 1
        if progress is not None:
            progress(finished, len(targets))

    for outcome in await scan_many(targets, now=lambda: now, on_done=done):
        name = outcome.target.key
        if outcome.error is not None or outcome.result is None:
            log.warning("scan %s: %s", name, outcome.error)
            stalled = isinstance(outcome.error, StalledError)
            outcomes[name] = _failed(store, name, str(outcome.error), now, stalled=stalled)
            continue
        try:
            outcomes[name] = _store_result(store, name, outcome.result, repos[name])
        except StateError as err:  # e.g. the database is locked: this object fails, not the run
            log.error("scan %s: %s", name, err)
            outcomes[name] = _failed(store, name, str(err), now)
    return [outcomes[k] for k in sorted(outcomes)]


def _failed(
    store: StateStore, key: str, error: str, now: datetime, *, stalled: bool = False
) -> RepositoryOutcome:
    """Record the error on the object; if even that fails, the outcome still carries it."""
    try:
        store.record_scan_error(key, error, now)
    except StateError as err:
        log.error("scan %s: cannot record the error: %s", key, err)
    return RepositoryOutcome(key, error=error, stalled=stalled)


def _store_result(
    store: StateStore, name: str, result: ScanResult, repo: ImageRepository
) -> RepositoryOutcome:
    previous = store.get_scan(name)
    store.put_scan(
        ScanRecord(
            key=name,
            canonical_name=result.canonical_name,
            tag_count=result.tag_count,
            scan_time=result.scan_time,
            revision=result.revision,
            latest_tags=result.latest_tags,
            spec_hash=repository_hash(repo),
        ),
        result.tags,
    )
    changed = previous is None or previous.revision != result.revision
    log.info("scan %s: %d tags, revision %s", name, result.tag_count, result.revision[:19])
    return RepositoryOutcome(name, result.revision, result.tag_count, changed)


class DigestResolver:
    """Resolves `<spec.image>:<tag>` to the digest a pull would get, one client per registry."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._clients: dict[tuple[str, ScanOptions], RegistryClient] = {}

    def _client(self, repo: ImageRepository) -> tuple[RegistryClient, ImageName]:
        image = parse_repository(repo.spec.image)
        options = scan_options(self.config, repo)
        client = self._clients.get((image.registry_host, options))
        if client is None:
            client = RegistryClient(image.registry_host, options)
            self._clients[(image.registry_host, options)] = client
        return client, image

    async def __call__(self, repo: ImageRepository, tag: str) -> str:
        client, image = self._client(repo)
        return await client.resolve_digest(image, tag)

    async def created(self, repo: ImageRepository, tag: str) -> datetime | None:
        """When the image `<spec.image>:tag` was built (its config's `created`)."""
        client, image = self._client(repo)
        return (await client.image_created(image, tag))[1]

    async def source(self, repo: ImageRepository, tag: str, digest: str = "") -> ImageSource:
        """The OCI source labels of `<spec.image>:tag` (at `digest` when known)."""
        client, image = self._client(repo)
        return (await client.image_config(image, tag, digest)).source

    async def signature_problem(
        self, repo: ImageRepository, tag: str, keys: list[PublicKey] | Verifier
    ) -> str | None:
        """None when `<spec.image>:tag` is cosign-signed by one of `keys`, else why not."""
        client, image = self._client(repo)
        digest = await client.resolve_digest(image, tag)
        return await client.signature_problem(image, digest, keys)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
