"""The mirror step: policies' refs copied into `spec.mirror`, and the mirror's name written to
git only once the copy of exactly that ref is verified (two real registries, a real remote)."""

from __future__ import annotations

import asyncio
import base64
import json
import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from automation.commands.status import policy_status
from automation.config import Config, ObjectKey, load_config
from automation.reconcile import reconcile
from automation.reference import LatestRef
from automation.state import StateStore, open_store
from automation.steps.cycle import refresh_cycle
from automation.steps.mirror import MirrorOutcome, mirrored_ref
from tests.rig import images
from tests.rig.git_remotes import GitRemote, read_file_at, seed
from tests.rig.registry import RegistryFactory, RegistryServer

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: app}}
spec:
  template:
    spec:
      containers:
        - name: app
          image: {image}:1.0.0 # {{"$imagepolicy": "apps:app"}}
"""


def mirror_block(mirror: RegistryServer, repo: str, rewrite: bool, secret: bool = True) -> str:
    lines = [f"image: {mirror.host}/{repo}", f"rewriteRefs: {str(rewrite).lower()}"]
    if mirror.scheme == "http":
        lines.append("insecure: true")
    if mirror.ca_file is not None:
        lines.append("certSecretRef: {name: mirror-ca}")
    if secret:
        lines.append("secretRef: {name: mirror-push}")
    return "\n".join("    " + line for line in lines)


def write_world(
    tmp_path: Path,
    source: RegistryServer,
    repo: str,
    mirror: str,
    remote: GitRemote | None = None,
    digest_policy: str = "IfNotPresent",
) -> Path:
    docs = (
        textwrap.dedent(f"""\
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageRepository
        metadata: {{name: app, namespace: apps}}
        spec:
          image: {source.host}/{repo}
          interval: 1h
          insecure: true
          mirror:
        """)
        + mirror
        + textwrap.dedent(f"""
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImagePolicy
        metadata: {{name: app, namespace: apps}}
        spec:
          imageRepositoryRef: {{name: app}}
          policy: {{semver: {{range: "^1.0"}}}}
          digestReflectionPolicy: {digest_policy}
        """)
    )
    if remote is not None:
        docs += textwrap.dedent(f"""\
            ---
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata: {{name: fleet, namespace: apps}}
            spec: {{url: {remote.file_url}, ref: {{branch: main}}}}
            ---
            apiVersion: image.toolkit.fluxcd.io/v1
            kind: ImageUpdateAutomation
            metadata: {{name: fleet, namespace: apps}}
            spec:
              interval: 1h
              sourceRef: {{kind: GitRepository, name: fleet}}
              git:
                commit:
                  author: {{name: bot, email: bot@example.com}}
              update: {{path: ./clusters}}
            """)
    path = tmp_path / "policies"
    path.mkdir(exist_ok=True)
    (path / "all.yaml").write_text(docs)
    return path


def write_secrets(tmp_path: Path, mirror: RegistryServer, password: str | None) -> Path:
    auth = base64.b64encode(f"{mirror.username}:{password}".encode()).decode()
    config = json.dumps({"auths": {mirror.host: {"auth": auth}}})
    ca = mirror.ca_file.read_text() if mirror.ca_file else ""
    path = tmp_path / "secrets"
    path.mkdir(exist_ok=True)
    (path / "s.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: mirror-push, namespace: apps}\n"
        f"type: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{config}'\n"
        "---\napiVersion: v1\nkind: Secret\nmetadata: {name: mirror-ca, namespace: apps}\n"
        f"stringData:\n  ca.crt: |\n{textwrap.indent(ca, '    ')}"
    )
    return path


def get_documents(kind: str, config: Config, store: StateStore) -> list[dict[str, object]]:
    from automation.commands.get import _documents

    return _documents(kind, config, store)


def mirror_digest(mirror: RegistryServer, repo: str, tag: str) -> str | None:
    with mirror.client() as http:
        response = http.head(
            f"/v2/{repo}/manifests/{tag}", headers={"Accept": images.MANIFEST_ACCEPT}
        )
    return response.headers.get("Docker-Content-Digest") if response.status_code == 200 else None


def cycle(config: Config, store: StateStore, hours: int) -> list[MirrorOutcome]:
    """One registry half-cycle, `hours` after NOW (scans are due every hour)."""
    return asyncio.run(refresh_cycle(config, store, NOW + timedelta(hours=hours)))[2]


def test_rewrite_refs_writes_the_mirror_name_once_verified(
    registry: RegistryServer,
    registry_factory: RegistryFactory,
    bare_remote: GitRemote,
    tmp_path: Path,
) -> None:
    mirror = registry_factory(auth="basic", tls=True)
    repo, mirror_repo = f"src/{uuid.uuid4().hex[:8]}", f"mirror/{uuid.uuid4().hex[:8]}"
    seed(bare_remote, {"clusters/app.yaml": DEPLOY.format(image=f"{registry.host}/{repo}")}, "a")
    pushed = images.push_index(registry, repo, "1.1.0")
    block = mirror_block(mirror, mirror_repo, rewrite=True)
    config = load_config(
        [write_world(tmp_path, registry, repo, block, bare_remote)],
        [write_secrets(tmp_path, mirror, mirror.password)],
    )
    store = open_store(tmp_path / "state.db")

    report = reconcile(config, store, cache=tmp_path / "cache", now=NOW)

    assert not report.failed, report
    (outcome,) = report.mirrors
    assert outcome.digest == pushed.digest and outcome.copied is not None
    assert outcome.copied.manifests_copied == 3
    assert mirror_digest(mirror, mirror_repo, "1.1.0") == pushed.digest
    written = read_file_at(bare_remote, "main", "clusters/app.yaml")
    assert f"image: {mirror.host}/{mirror_repo}:1.1.0@{pushed.digest} #" in written
    assert registry.host not in written
    status = policy_status("apps/app", None, None, mirror=store.get_mirror("apps/app"))
    assert status["status"]["mirror"] | {"time": None} == {
        "image": f"{mirror.host}/{mirror_repo}",
        "ref": {"name": f"{mirror.host}/{mirror_repo}", "tag": "1.1.0", "digest": pushed.digest},
        "digest": pushed.digest,
        "sourceRef": f"{registry.host}/{repo}:1.1.0@{pushed.digest}",
        "verified": True,
        "time": None,
    }

    again = reconcile(config, store, cache=tmp_path / "cache", now=NOW)
    assert [m.skipped for m in again.mirrors] == ["already mirrored"]

    # `get policies` shows the mirror status too.
    shown = get_documents("policies", config, store)
    assert shown[0]["status"]["mirror"]["verified"] is True


def test_failed_mirror_writes_the_source_ref_and_is_retried(
    registry: RegistryServer,
    registry_factory: RegistryFactory,
    bare_remote: GitRemote,
    tmp_path: Path,
) -> None:
    mirror = registry_factory(auth="basic", tls=True)
    repo, mirror_repo = f"src/{uuid.uuid4().hex[:8]}", f"mirror/{uuid.uuid4().hex[:8]}"
    source_image = f"{registry.host}/{repo}"
    seed(bare_remote, {"clusters/app.yaml": DEPLOY.format(image=source_image)}, "a")
    pushed = images.push_image(registry, repo, "1.2.0")
    policies = write_world(
        tmp_path, registry, repo, mirror_block(mirror, mirror_repo, True), bare_remote
    )
    wrong = load_config([policies], [write_secrets(tmp_path, mirror, "wrong-password")])
    store = open_store(tmp_path / "state.db")

    report = reconcile(wrong, store, cache=tmp_path / "cache", now=NOW)

    (outcome,) = report.mirrors
    assert report.failed and "authentication failed" in outcome.error
    assert mirror.host in outcome.error and "wrong-password" not in outcome.error
    assert not report.automations[0].error  # the automation was not blocked...
    written = read_file_at(bare_remote, "main", "clusters/app.yaml")
    assert f"image: {source_image}:1.2.0@{pushed.digest} #" in written  # ...and wrote the source
    record = store.get_mirror("apps/app")
    assert record is not None and not record.verified and record.error == outcome.error
    status = policy_status("apps/app", None, None, mirror=record)["status"]["mirror"]
    assert status["verified"] is False and "ref" not in status and status["error"]

    fixed = load_config([policies], [write_secrets(tmp_path, mirror, mirror.password)])
    report = reconcile(fixed, store, cache=tmp_path / "cache", now=NOW)

    assert not report.failed, report
    written = read_file_at(bare_remote, "main", "clusters/app.yaml")
    assert f"image: {mirror.host}/{mirror_repo}:1.2.0@{pushed.digest} #" in written


def test_only_changed_refs_are_copied_and_rewrite_off_keeps_the_source(
    registry: RegistryServer, registry_factory: RegistryFactory, tmp_path: Path
) -> None:
    mirror = registry_factory()
    repo, mirror_repo = f"src/{uuid.uuid4().hex[:8]}", f"mirror/{uuid.uuid4().hex[:8]}"
    block = mirror_block(mirror, mirror_repo, rewrite=False, secret=False)
    config = load_config([write_world(tmp_path, registry, repo, block, digest_policy="Never")])
    store = open_store(tmp_path / "state.db")
    first = images.push_image(registry, repo, "1.0.0")

    (copied,) = cycle(config, store, 0)
    (idle,) = cycle(config, store, 2)
    second = images.push_index(registry, repo, "1.3.0", docker_list=True)
    (newer,) = cycle(config, store, 4)

    assert copied.digest == first.digest and copied.mirror == LatestRef(
        f"{mirror.host}/{mirror_repo}", "1.0.0"
    )
    assert idle.skipped == "already mirrored" and idle.copied is None
    assert newer.copied is not None and newer.copied.manifests_copied == 3
    assert mirror_digest(mirror, mirror_repo, "1.3.0") == second.digest
    assert mirror_digest(mirror, mirror_repo, "1.0.0") == first.digest
    # rewriteRefs is off: the verified copy is not written.
    record = store.get_policy("apps/app")
    assert record is not None and record.latest_ref is not None
    policy = config.image_policies[ObjectKey("apps", "app")]
    assert mirrored_ref(config, store, policy, record.latest_ref) is None


def test_mirrored_ref_only_for_exactly_the_verified_ref(tmp_path: Path) -> None:
    nowhere = RegistryServer(host="src.example", url="https://src.example", scheme="https")
    block = "    image: m.example/mirror/app\n    rewriteRefs: true"
    config = load_config([write_world(tmp_path, nowhere, "src/app", block)])
    store = open_store(tmp_path / "state.db")
    source = LatestRef("src.example/src/app", "1.0.0", "sha256:" + "a" * 64)
    copy = LatestRef("m.example/mirror/app", "1.0.0", source.digest)
    policy = config.image_policies[ObjectKey("apps", "app")]

    assert mirrored_ref(config, store, policy, source) is None  # no record yet
    store.record_mirror("apps/app", str(source), copy, source.digest, NOW)
    assert mirrored_ref(config, store, policy, source) == copy
    other = LatestRef(source.name, "1.0.1", "sha256:" + "b" * 64)
    assert mirrored_ref(config, store, policy, other) is None  # a different ref
    store.record_mirror("apps/app", str(source), copy, "", NOW, "push refused")
    assert mirrored_ref(config, store, policy, source) is None  # the last copy failed
    moved = LatestRef("m.example/elsewhere/app", "1.0.0", source.digest)
    store.record_mirror("apps/app", str(source), moved, source.digest, NOW)
    assert mirrored_ref(config, store, policy, source) is None  # another mirror image


@pytest.fixture(autouse=True)
def _no_docker_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))


def test_dry_run_copies_nothing(
    registry: RegistryServer, registry_factory: RegistryFactory, tmp_path: Path
) -> None:
    mirror = registry_factory()
    repo, mirror_repo = f"src/{uuid.uuid4().hex[:8]}", f"mirror/{uuid.uuid4().hex[:8]}"
    block = mirror_block(mirror, mirror_repo, rewrite=True, secret=False)
    config = load_config([write_world(tmp_path, registry, repo, block)])
    images.push_image(registry, repo, "1.0.0")
    store = open_store(tmp_path / "state.db")

    report = reconcile(config, store, cache=tmp_path / "cache", now=NOW, dry_run=True)

    assert report.mirrors == [] and store.get_mirror("apps/app") is None
    assert mirror_digest(mirror, mirror_repo, "1.0.0") is None


def test_state_written_before_mirrors_existed_gains_the_table(tmp_path: Path) -> None:
    import sqlite3

    from automation.state.sqlite import MIGRATIONS

    path = tmp_path / "v1.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "; PRAGMA user_version = 1;")
    db.execute("INSERT INTO policies (key) VALUES ('apps/app')")
    db.commit()
    db.close()

    store = open_store(path)
    ref = LatestRef("m.example/app", "1.0.0")
    store.record_mirror("apps/app", "src.example/app:1.0.0", ref, "sha256:" + "c" * 64, NOW)

    record = store.get_mirror("apps/app")
    assert record is not None and record.verified and record.mirror_ref == ref
    assert record.time == NOW and store.get_policy("apps/app") is not None
