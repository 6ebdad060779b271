"""A Flux user's repository loads as it is: every kind, every GitRepository field, old versions.

The fixture under testdata/flux-cluster is shaped like public Flux repositories (bootstrap
output, Kustomizations, HelmReleases, sources, notifications, a SOPS Secret, a CRD and image
automation objects in old API versions).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
import subprocess
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from automation.cli import main
from automation.config import ObjectKey, load_config, load_config_report
from automation.errors import ConfigErrors
from automation.reconcile import reconcile
from automation.state import open_store
from tests.git.test_signing import _gpg_key
from tests.rig.git_remotes import GitRemote, clone_and_commit, git, head, log, read_file_at
from tests.rig.images import push_image
from tests.rig.proxy import HttpProxy
from tests.rig.registry import RegistryServer

FIXTURE = Path(__file__).parent / "testdata" / "flux-cluster"
SECRETS = """\
apiVersion: v1
kind: Secret
metadata: {name: flux-system, namespace: flux-system}
stringData: {username: USER, password: PASSWORD}
---
apiVersion: v1
kind: Secret
metadata: {name: receiver-token, namespace: flux-system}
stringData: {token: t0ken}
---
apiVersion: v1
kind: Secret
metadata: {name: slack-bot-token, namespace: flux-system}
stringData: {token: xoxb-not-a-real-token}
---
apiVersion: v1
kind: Secret
metadata: {name: msteams-webhook, namespace: flux-system}
stringData: {address: "https://example.webhook.office.com/webhookb2/x"}
"""


def cluster(root: Path, registry: str, git_url: str) -> Path:
    """A copy of the fixture with the registry host and git URL filled in."""
    target = root / "fleet"
    shutil.copytree(FIXTURE, target)
    for file in target.rglob("*.yaml"):
        text = file.read_text()
        file.write_text(text.replace("REGISTRY", registry).replace("GIT_URL", git_url))
    return target


def secrets_dir(root: Path, username: str = "u", password: str = "p") -> Path:
    path = root / "secrets"
    path.mkdir()
    text = SECRETS.replace("USER", username).replace("PASSWORD", password)
    (path / "secrets.yaml").write_text(text)
    return path


def test_the_cluster_directory_loads_with_one_warning_per_old_object(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fleet = cluster(tmp_path, "registry.example.com", "https://example.com/fleet.git")
    with caplog.at_level(logging.DEBUG, logger="automation.config"):
        config = load_config([fleet], [secrets_dir(tmp_path)])
    assert sorted(map(str, config.git_repositories)) == [
        "flux-system/flux-system",
        "flux-system/platform",
        "flux-system/podinfo-config",
    ]
    assert list(map(str, config.image_policies)) == ["flux-system/podinfo"]
    assert list(map(str, config.automations)) == ["flux-system/flux-system"]
    assert list(map(str, config.receivers)) == ["flux-system/github-receiver"]
    # Alerts and Providers are read (notifications); v1beta2 ones map onto v1beta3.
    assert sorted(map(str, config.providers)) == ["flux-system/msteams", "flux-system/slack"]
    assert sorted(map(str, config.alerts)) == ["flux-system/msteams", "flux-system/on-call-webapp"]
    # The SOPS Secret among the policy files is never used.
    assert ObjectKey("flux-system", "cluster-secrets") not in config.secrets

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    deprecated = [w for w in warnings if "which Flux deprecated" in w]
    assert len(deprecated) == 7
    assert any(
        "Alert flux-system/msteams uses notification.toolkit.fluxcd.io/v1beta2" in w
        and "move it to notification.toolkit.fluxcd.io/v1beta3" in w
        for w in deprecated
    )
    assert any(
        "podinfo.yaml:10: ImagePolicy flux-system/podinfo uses image.toolkit.fluxcd.io/v1beta1" in w
        and "move it to image.toolkit.fluxcd.io/v1" in w
        for w in deprecated
    )
    (secret_warning,) = [w for w in warnings if "Secret(s) among the policy files" in w]
    assert secret_warning.startswith(str(fleet / "clusters/production/flux-system"))
    inert = sorted(w.split(" is accepted")[0] for w in warnings if "not acted on" in w)
    assert inert == [
        "GitRepository spec.gitImplementation",
        "GitRepository spec.include",
        "GitRepository spec.recurseSubmodules",
    ]
    skipped = [r.getMessage() for r in caplog.records if "not acted on)" in r.getMessage()]
    kinds = {m.split()[-4] for m in skipped}
    assert {"HelmRepository", "HelmChart", "OCIRepository", "Bucket", "Kustomization"} <= kinds
    assert {"HelmRelease", "CustomResourceDefinition", "ConfigMap"} <= kinds
    assert "Receiver" in kinds  # the GitRepository receivers are Flux's, not ours


def test_old_versions_map_onto_v1(tmp_path: Path) -> None:
    fleet = cluster(tmp_path, "registry.example.com", "https://example.com/fleet.git")
    config = load_config([fleet])
    legacy = config.git_repositories[ObjectKey("flux-system", "podinfo-config")]
    assert legacy.spec.verify is not None and legacy.spec.verify.mode == "HEAD"
    assert legacy.spec.ignore is not None and "!/charts/" in legacy.spec.ignore
    platform = config.git_repositories[ObjectKey("flux-system", "platform")]
    assert platform.spec.recurse_submodules and platform.spec.include[0].to_path == "vendor/charts"
    automation = config.automations[ObjectKey("flux-system", "flux-system")]
    assert automation.spec.update.path == "./apps"


def test_validate_passes_on_the_cluster_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = cluster(tmp_path, "registry.example.com", "https://example.com/fleet.git")
    secrets = secrets_dir(tmp_path)
    assert main(["validate", str(fleet), "--secrets", str(secrets)]) == 0
    assert "ok: 6 objects valid" in capsys.readouterr().out
    args = ["validate", str(fleet), "--secrets", str(secrets), "-o", "json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and report["errors"] == []
    warnings = report["warnings"]
    assert sum("which Flux deprecated" in w for w in warnings) == 7
    assert sum("Secret(s) among the policy files ignored" in w for w in warnings) == 1
    assert sum("is accepted but not acted on" in w for w in warnings) == 3


def test_every_v1_git_repository_field_is_accepted(write: Callable[..., Path]) -> None:
    path = write(
        "git.yaml",
        """
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {name: all, namespace: team}
        spec:
          url: https://example.com/org/fleet.git
          interval: 5m
          timeout: 90s
          ref: {name: refs/heads/main}
          secretRef: {name: auth}
          provider: github
          proxySecretRef: {name: proxy}
          verify: {mode: TagAndHEAD, secretRef: {name: keys}}
          ignore: "/docs\\n"
          suspend: true
          recurseSubmodules: true
          include:
            - repository: {name: other}
              fromPath: deploy
              toPath: vendor
          sparseCheckout: [apps/, infra/]
        """,
    )
    repo = load_config([path]).git_repositories[ObjectKey("team", "all")]
    assert repo.spec.sparse_checkout == ["apps/", "infra/"]
    assert repo.spec.provider == "github" and repo.spec.suspend
    assert repo.spec.inert_fields() == [
        "include",
        "sparseCheckout",
        "recurseSubmodules",
        "provider",
    ]


def test_a_receiver_for_image_repositories_must_be_one_we_handle(
    write: Callable[..., Path],
) -> None:
    path = write(
        "r.yaml",
        """
        apiVersion: notification.toolkit.fluxcd.io/v1beta1
        kind: Receiver
        metadata: {name: r}
        spec:
          type: gitlab
          secretRef: {name: t}
          resources:
            - {kind: ImageRepository, name: app}
        """,
    )
    with pytest.raises(ConfigErrors) as info:
        load_config([path])
    (error,) = info.value.errors
    assert (error.line, error.field) == (5, "spec.type")


def test_fields_removed_in_v1_are_errors_at_their_line(write: Callable[..., Path]) -> None:
    path = write(
        "git.yaml",
        """
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {name: x}
        spec:
          url: https://example.com/x.git
          gitImplementation: libgit2
        """,
    )
    with pytest.raises(ConfigErrors) as info:
        load_config([path])
    (error,) = info.value.errors
    assert str(error).startswith(f"{path}:6: spec.gitImplementation: removed in ")


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("source.toolkit.fluxcd.io/v1", "HelmRepository"),
        ("source.toolkit.fluxcd.io/v1beta2", "Bucket"),
        ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository"),
        ("helm.toolkit.fluxcd.io/v2beta2", "HelmRelease"),
        ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
        ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
        ("example.com/whatever", "Anything"),
        ("image.example.com/v1", "ImagePolicyz"),
    ],
)
def test_kinds_not_acted_on_are_skipped_whatever_the_group(
    write: Callable[..., Path], api_version: str, kind: str
) -> None:
    path = write(
        "x.yaml",
        f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x}}\nspec: {{any: 1}}\n",
    )
    assert load_config([path]).object_count == 0


@pytest.mark.parametrize(
    ("api_version", "kind", "line", "field", "message"),
    [
        ("source.toolkit.fluxcd.io/v1", "HelmRepositry", 2, "kind", "unknown kind"),
        ("image.toolkit.fluxcd.io/v1", "ImagePolicies", 2, "kind", "unknown kind"),
        ("source.toolkit.fluxcd.io/version1", "HelmChart", 1, "apiVersion", "not an API version"),
        ("image.toolkit.fluxcd.io/v1alpha1", "ImagePolicy", 1, "apiVersion", "unsupported"),
    ],
)
def test_a_wrongly_written_kind_or_version_in_our_groups_is_an_error(
    write: Callable[..., Path], api_version: str, kind: str, line: int, field: str, message: str
) -> None:
    path = write("x.yaml", f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x}}\n")
    with pytest.raises(ConfigErrors) as info:
        load_config([path])
    (error,) = info.value.errors
    assert (error.line, error.field) == (line, field) and message in error.message


def test_validate_reports_every_problem_in_one_pass_in_file_order(
    write: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        "a.yaml",
        """
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageRepository
        metadata: {name: broken, namespace: t}
        spec:
          image: ghcr.io/org/app:1.0
          interval: soon
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImagePolicy
        metadata: {name: dangling, namespace: t}
        spec:
          imageRepositoryRef: {name: missing}
          policy:
            semver: {range: ">=1.0"}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImagePolicy
        metadata: {name: uses-broken, namespace: t}
        spec:
          imageRepositoryRef: {name: broken}
          filterTags: {pattern: "(unclosed"}
          policy:
            semver: {range: ">=1.0"}
        """,
    )
    write("b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: [unclosed\n")
    assert main(["validate", str(tmp_path), "-o", "json"]) == 1
    errors = json.loads(capsys.readouterr().out)["errors"]
    got = [(Path(e["file"]).name, e["line"], e["field"]) for e in errors]
    assert got == [
        ("a.yaml", 5, "spec.image"),
        ("a.yaml", 6, "spec.interval"),
        ("a.yaml", 12, "spec.imageRepositoryRef"),
        ("a.yaml", 20, "spec.imageRepositoryRef"),
        ("a.yaml", 21, "spec.filterTags.pattern"),
        ("b.yaml", 5, ""),  # where the parser gave up: the end of the file
    ]
    assert "ImageRepository t/missing not found" in errors[2]["message"]
    assert "ImageRepository t/broken is invalid (see its own errors)" in errors[3]["message"]


def test_report_keeps_the_valid_objects(write: Callable[..., Path]) -> None:
    path = write(
        "x.yaml",
        """
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageRepository
        metadata: {name: good}
        spec: {image: ghcr.io/org/app, interval: 1m}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageRepository
        metadata: {name: bad}
        spec: {image: ghcr.io/org/app, interval: never}
        """,
    )
    config, errors = load_config_report([path])
    assert list(map(str, config.image_repositories)) == ["default/good"]
    assert [e.line for e in errors] == [9]


def test_secrets_flag_overrides_the_variable_naming_the_same_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = cluster(tmp_path, "registry.example.com", "https://example.com/fleet.git")
    secrets = secrets_dir(tmp_path)
    monkeypatch.setenv("IMAGE_AUTOMATION_SECRETS", str(secrets))
    assert main(["validate", str(fleet), "--secrets", str(secrets)]) == 0
    monkeypatch.setenv("IMAGE_AUTOMATION_SECRETS", str(tmp_path / "nowhere"))
    assert main(["validate", str(fleet), "--secrets", str(secrets)]) == 0
    assert "duplicate" not in capsys.readouterr().err


def test_a_secret_among_policy_files_is_never_used(
    write: Callable[..., Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy = write(
        "policies/git.yaml",
        textwrap.dedent(
            """\
            apiVersion: source.toolkit.fluxcd.io/v1
            kind: GitRepository
            metadata: {name: fleet}
            spec: {url: "https://example.com/x.git", secretRef: {name: auth}}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: auth}
            stringData: {username: u, password: p}
            """
        ),
    )
    with caplog.at_level(logging.WARNING):
        config = load_config([policy.parent])
    assert config.secrets == {}
    (warning,) = [r.getMessage() for r in caplog.records]
    assert warning.startswith(f"{policy}: 1 Secret(s) among the policy files ignored")
    # Named as a secrets path, the same file's Secret is used (it is read once).
    both = load_config([policy.parent], [policy])
    assert list(map(str, both.secrets)) == ["default/auth"]


def test_the_cluster_directory_reconciles_against_real_git_and_registry(
    registry: RegistryServer, http_remote: GitRemote, tmp_path: Path
) -> None:
    """The repository holds its own policies, as in Flux: the HelmRelease values move."""
    repo = f"stefanprodan/podinfo-{uuid.uuid4().hex[:8]}"
    fleet = cluster(tmp_path, registry.host, http_remote.url)
    for file in fleet.rglob("*.yaml"):
        file.write_text(file.read_text().replace("stefanprodan/podinfo", repo))
    policy = fleet / "clusters/production/image-automation/podinfo.yaml"
    image_line = f"  image: {registry.host}/{repo}\n"
    policy.write_text(policy.read_text().replace(image_line, image_line + "  insecure: true\n"))
    for tag in ("6.5.0", "6.5.4", "7.0.0"):
        push_image(registry, repo, tag)
    # spec.ignore on the GitRepository keeps a vendored copy out of the update.
    vendored = fleet / "apps/vendor/podinfo.yaml"
    vendored.parent.mkdir()
    shutil.copy(fleet / "apps/base/podinfo/release.yaml", vendored)
    sync = fleet / "clusters/production/flux-system/gotk-sync.yaml"
    sync.write_text(
        sync.read_text().replace(
            "  url: ", "  ignore: |\n    # vendored charts\n    /apps/vendor/\n  url: ", 1
        )
    )
    clone_and_commit(http_remote.file_url, fleet, "bootstrap")
    secrets = secrets_dir(tmp_path, http_remote.username, http_remote.password)
    config = load_config([fleet], [secrets])
    store = open_store(tmp_path / "state.db")
    try:
        report = reconcile(config, store, cache=tmp_path / "cache")
    finally:
        store.close()
    assert not report.failed, report
    release = read_file_at(http_remote, "main", "apps/base/podinfo/release.yaml")
    expected = (
        (fleet / "apps/base/podinfo/release.yaml")
        .read_text()
        .replace('tag: 6.5.0 # {"$imagepolicy"', 'tag: 6.5.4 # {"$imagepolicy"')
    )
    assert release == expected
    assert read_file_at(http_remote, "main", "apps/vendor/podinfo.yaml") == vendored.read_text()
    assert log(http_remote, "main")[0] == "chore: update images"


def test_verify_refuses_to_update_an_unsigned_checkout(
    registry: RegistryServer, http_remote: GitRemote, tmp_path: Path
) -> None:
    repo = f"stefanprodan/podinfo-{uuid.uuid4().hex[:8]}"
    fleet = cluster(tmp_path, registry.host, http_remote.url)
    for file in fleet.rglob("*.yaml"):
        file.write_text(file.read_text().replace("stefanprodan/podinfo", repo))
    policy = fleet / "clusters/production/image-automation/podinfo.yaml"
    image_line = f"  image: {registry.host}/{repo}\n"
    policy.write_text(policy.read_text().replace(image_line, image_line + "  insecure: true\n"))
    sync = fleet / "clusters/production/flux-system/gotk-sync.yaml"
    verify = "  verify:\n    mode: HEAD\n    secretRef: {name: pgp-public-keys}\n  url: "
    sync.write_text(sync.read_text().replace("  url: ", verify, 1))
    for tag in ("6.5.0", "6.5.4"):
        push_image(registry, repo, tag)
    before = clone_and_commit(http_remote.file_url, fleet, "bootstrap (unsigned)")
    secrets = secrets_dir(tmp_path, http_remote.username, http_remote.password)
    _, public = _gpg_key(tmp_path / "keys", "")
    (secrets / "pgp.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: pgp-public-keys, namespace: flux-system}\n"
        "data: {author.asc: " + base64.b64encode(public).decode() + "}\n"
    )
    config = load_config([fleet], [secrets])
    assert (
        "verify"
        not in config.git_repositories[ObjectKey("flux-system", "flux-system")].spec.inert_fields()
    )
    store = open_store(tmp_path / "state.db")
    try:
        report = reconcile(config, store, cache=tmp_path / "cache")
    finally:
        store.close()
    (outcome,) = report.automations
    assert f"commit {before[:12]} is not signed" in outcome.error
    assert head(http_remote, "main") == before  # nothing pushed on top of it


def test_proxy_secret_ref_takes_the_clone_and_push_through_the_proxy(
    registry: RegistryServer, http_remote: GitRemote, http_proxy: HttpProxy, tmp_path: Path
) -> None:
    """tinyproxy (a real forward proxy with Basic auth) must carry every git request."""
    repo = f"stefanprodan/podinfo-{uuid.uuid4().hex[:8]}"
    fleet = cluster(tmp_path, registry.host, http_remote.url)
    for file in fleet.rglob("*.yaml"):
        file.write_text(file.read_text().replace("stefanprodan/podinfo", repo))
    policy = fleet / "clusters/production/image-automation/podinfo.yaml"
    image_line = f"  image: {registry.host}/{repo}\n"
    policy.write_text(policy.read_text().replace(image_line, image_line + "  insecure: true\n"))
    sync = fleet / "clusters/production/flux-system/gotk-sync.yaml"
    proxy_ref = "  proxySecretRef: {name: git-proxy}\n  url: "
    sync.write_text(sync.read_text().replace("  url: ", proxy_ref, 1))
    for tag in ("6.5.0", "6.5.4"):
        push_image(registry, repo, tag)
    clone_and_commit(http_remote.file_url, fleet, "bootstrap")
    secrets = secrets_dir(tmp_path, http_remote.username, http_remote.password)
    proxy_secret = (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: git-proxy, namespace: flux-system}\n"
        "stringData: {address: ADDRESS, username: USER, password: PASSWORD}\n"
    )
    (secrets / "proxy.yaml").write_text(
        proxy_secret.replace("ADDRESS", http_proxy.address)
        .replace("USER", http_proxy.username)
        .replace("PASSWORD", http_proxy.password)
    )
    config = load_config([fleet], [secrets])
    before = len(http_proxy.requests())
    store = open_store(tmp_path / "state.db")
    try:
        report = reconcile(config, store, cache=tmp_path / "cache")
    finally:
        store.close()
    assert not report.failed, report
    release = read_file_at(http_remote, "main", "apps/base/podinfo/release.yaml")
    assert 'tag: 6.5.4 # {"$imagepolicy"' in release
    through = [line for line in http_proxy.requests()[before:] if http_remote.url in line]
    assert any("git-upload-pack" in line for line in through)  # the fetch
    assert any("git-receive-pack" in line for line in through)  # the push


def test_a_wrong_proxy_password_fails_the_automation_without_leaking_it(
    registry: RegistryServer, http_remote: GitRemote, http_proxy: HttpProxy, tmp_path: Path
) -> None:
    fleet = cluster(tmp_path, registry.host, http_remote.url)
    sync = fleet / "clusters/production/flux-system/gotk-sync.yaml"
    sync.write_text(
        sync.read_text().replace("  url: ", "  proxySecretRef: {name: git-proxy}\n  url: ", 1)
    )
    secrets = secrets_dir(tmp_path, http_remote.username, http_remote.password)
    (secrets / "proxy.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: git-proxy, namespace: flux-system}\n"
        f"stringData: {{address: '{http_proxy.address}', username: u, password: wr0ng-pass}}\n"
    )
    config = load_config([fleet], [secrets])
    store = open_store(tmp_path / "state.db")
    try:
        report = reconcile(config, store, cache=tmp_path / "cache")
    finally:
        store.close()
    (outcome,) = report.automations
    assert outcome.error and "wr0ng-pass" not in outcome.error


def _signed_empty_commit(remote: GitRemote, home: Path, secret_key: bytes) -> str:
    """Another client signs a commit with its own gpg key (git commit -S) and pushes it."""
    env = {**os.environ, "GNUPGHOME": str(home / "gnupg")}
    (home / "gnupg").mkdir(mode=0o700)
    try:
        subprocess.run(["gpg", "--batch", "--import"], input=secret_key, env=env, check=True,
                       capture_output=True)  # fmt: skip
        work = home / "work"
        git("clone", "--quiet", remote.file_url, str(work), env=env)
        git("-c", "user.name=Signer", "-c", "user.email=signer@example.com",
            "-c", "commit.gpgsign=true", "-c", "user.signingkey=bot@example.com",
            "commit", "--quiet", "--allow-empty", "-m", "signed",
            cwd=work, env=env)  # fmt: skip
        git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=work, env=env)
        return git("rev-parse", "HEAD", cwd=work, env=env).strip()
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)


def test_verify_lets_a_signed_checkout_be_updated(
    registry: RegistryServer, http_remote: GitRemote, tmp_path: Path
) -> None:
    repo = f"stefanprodan/podinfo-{uuid.uuid4().hex[:8]}"
    fleet = cluster(tmp_path, registry.host, http_remote.url)
    for file in fleet.rglob("*.yaml"):
        file.write_text(file.read_text().replace("stefanprodan/podinfo", repo))
    policy = fleet / "clusters/production/image-automation/podinfo.yaml"
    image_line = f"  image: {registry.host}/{repo}\n"
    policy.write_text(policy.read_text().replace(image_line, image_line + "  insecure: true\n"))
    sync = fleet / "clusters/production/flux-system/gotk-sync.yaml"
    verify = "  verify:\n    mode: HEAD\n    secretRef: {name: pgp-public-keys}\n  url: "
    sync.write_text(sync.read_text().replace("  url: ", verify, 1))
    for tag in ("6.5.0", "6.5.4"):
        push_image(registry, repo, tag)
    clone_and_commit(http_remote.file_url, fleet, "bootstrap")
    secret, public = _gpg_key(tmp_path / "keys", "")
    signed = _signed_empty_commit(http_remote, tmp_path, secret)
    secrets = secrets_dir(tmp_path, http_remote.username, http_remote.password)
    (secrets / "pgp.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: pgp-public-keys, namespace: flux-system}\n"
        "data: {author.asc: " + base64.b64encode(public).decode() + "}\n"
    )
    store = open_store(tmp_path / "state.db")
    try:
        report = reconcile(load_config([fleet], [secrets]), store, cache=tmp_path / "cache")
    finally:
        store.close()
    assert not report.failed, report
    (outcome,) = report.automations
    assert outcome.commit and outcome.commit != signed
    release = read_file_at(http_remote, "main", "apps/base/podinfo/release.yaml")
    assert 'tag: 6.5.4 # {"$imagepolicy"' in release


def test_a_missing_receiver_secret_is_reported_at_its_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = cluster(tmp_path, "registry.example.com", "https://example.com/fleet.git")
    assert main(["validate", str(fleet)]) == 1
    notifications = fleet / "infrastructure/configs/notifications.yaml"
    assert f"{notifications}:41: spec.secretRef: Secret flux-system/receiver-token not found" in (
        capsys.readouterr().err
    )


def test_notification_problems_are_reported_at_their_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = cluster(tmp_path, "registry.example.com", "https://example.com/fleet.git")
    notifications = fleet / "infrastructure/configs/notifications.yaml"
    notifications.write_text(
        notifications.read_text().replace(
            "name: msteams\n  eventSeverity", "name: teams\n  eventSeverity"
        )
    )
    secrets = tmp_path / "only-receiver"
    secrets.mkdir()
    (secrets / "s.yaml").write_text(SECRETS.split("---\n")[1])
    assert main(["validate", str(fleet), "--secrets", str(secrets)]) == 1
    err = capsys.readouterr().err
    assert (
        f"{notifications}:10: spec.secretRef: Secret flux-system/slack-bot-token not found" in err
    )
    assert (
        f"{notifications}:55: spec.secretRef: Secret flux-system/msteams-webhook not found" in err
    )
    assert f"{notifications}:64: spec.providerRef: Provider flux-system/teams not found" in err
