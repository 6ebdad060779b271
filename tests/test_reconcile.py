"""One cycle end to end: real registry -> policies -> marked YAML -> commit -> push to a remote."""

from __future__ import annotations

import os
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from automation.cli import main
from automation.config import load_config
from automation.reconcile import reconcile
from automation.state import open_store
from tests.rig.git_remotes import (
    GitRemote,
    clone_and_commit,
    git,
    head,
    log,
    read_file_at,
    seed,
)
from tests.rig.images import push_image
from tests.rig.registry import RegistryServer

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: prod
spec:
  template:
    spec:
      containers:
        - name: app
          image: {image}:1.0.0 # {{"$imagepolicy": "apps:app"}}
          # keep this comment and the blank line below

        - name: sidecar
          image: busybox:1.36
"""


def policies(registry: RegistryServer, repo: str, remote: GitRemote, extra: str = "") -> str:
    return textwrap.dedent(f"""\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {{name: fleet, namespace: apps}}
        spec:
          url: {remote.file_url}
          ref: {{branch: main}}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageRepository
        metadata: {{name: app, namespace: apps}}
        spec:
          image: {registry.host}/{repo}
          interval: 1h
          insecure: true
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImagePolicy
        metadata: {{name: app, namespace: apps}}
        spec:
          imageRepositoryRef: {{name: app}}
          policy:
            semver: {{range: "^1.0"}}
          digestReflectionPolicy: IfNotPresent
        {extra}---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageUpdateAutomation
        metadata: {{name: fleet, namespace: apps}}
        spec:
          interval: 1h
          sourceRef: {{kind: GitRepository, name: fleet}}
          git:
            commit:
              author: {{name: bot, email: bot@example.com}}
              messageTemplate: |
                Update {{{{ .AutomationObject }}}}
                {{{{ range .Changed.Changes -}}}}
                - {{{{ .OldValue }}}} -> {{{{ .NewValue }}}}
                {{{{ end -}}}}
          update: {{path: ./clusters}}
        """)


@pytest.fixture
def world(
    registry: RegistryServer, bare_remote: GitRemote, tmp_path: Path
) -> Callable[[str], tuple[Path, str]]:
    """Write policies for a fresh image repository; return (policy dir, image name)."""
    repo = f"e2e/app-{uuid.uuid4().hex[:8]}"
    image = f"{registry.host}/{repo}"
    seed(bare_remote, {"clusters/app.yaml": DEPLOY.format(image=image)}, "add app")

    def make(extra: str = "") -> tuple[Path, str]:
        (tmp_path / "policies").mkdir(exist_ok=True)
        (tmp_path / "policies" / "all.yaml").write_text(
            policies(registry, repo, bare_remote, extra)
        )
        return tmp_path / "policies", image

    return make


def test_cycle_pushes_new_tag_with_digest_and_nothing_else(
    registry: RegistryServer,
    bare_remote: GitRemote,
    world: Callable[..., tuple[Path, str]],
    tmp_path: Path,
) -> None:
    path, image = world()
    repo = image.split("/", 1)[1]
    for tag in ("1.0.0", "2.0.0"):
        push_image(registry, repo, tag)
    pushed = push_image(registry, repo, "1.1.0")
    config = load_config([path])
    store = open_store(tmp_path / "state.db")
    cache = tmp_path / "cache"

    report = reconcile(config, store, cache=cache)

    assert not report.failed, report
    expected = DEPLOY.format(image=image).replace(
        f"{image}:1.0.0", f"{image}:1.1.0@{pushed.digest}"
    )
    assert read_file_at(bare_remote, "main", "clusters/app.yaml") == expected
    assert log(bare_remote, "main")[0] == (
        f"Update apps/fleet\n- {image}:1.0.0 -> {image}:1.1.0@{pushed.digest}"
    )
    (automation,) = report.automations
    assert automation.commit == head(bare_remote, "main") and automation.changes == 1

    from automation.commands.status import automation_status

    status = automation_status("apps/fleet", None, store.get_automation("apps/fleet"))["status"]
    assert status["lastPushCommit"] == automation.commit
    assert status["observedSourceRevision"] == f"main@sha1:{automation.commit}"
    assert status["observedPolicies"] == {
        "app": {"name": image, "tag": "1.1.0", "digest": pushed.digest}
    }
    assert status["conditions"][0]["message"] == "repository up-to-date"

    # Nothing new: no git work, no commit.
    before = head(bare_remote, "main")
    again = reconcile(config, store, cache=cache, force=False)
    assert again.automations[0].skipped and head(bare_remote, "main") == before


def test_new_tag_after_someone_else_pushed_lands_on_top(
    registry: RegistryServer,
    bare_remote: GitRemote,
    world: Callable[..., tuple[Path, str]],
    tmp_path: Path,
) -> None:
    path, image = world()
    repo = image.split("/", 1)[1]
    push_image(registry, repo, "1.0.1")
    config = load_config([path])
    store = open_store(tmp_path / "state.db")
    reconcile(config, store, cache=tmp_path / "cache")
    other = clone_and_commit(bare_remote, {"README.md": "hello\n"}, "docs")
    newer = push_image(registry, repo, "1.2.0")

    report = reconcile(config, store, cache=tmp_path / "cache", force=True)

    assert not report.failed, report
    assert f"{image}:1.2.0@{newer.digest}" in read_file_at(bare_remote, "main", "clusters/app.yaml")
    assert read_file_at(bare_remote, "main", "README.md") == "hello\n"
    assert other in log_shas(bare_remote)


def log_shas(remote: GitRemote) -> list[str]:
    return git("rev-list", "refs/heads/main", cwd=remote.path).split()


def test_rollback_is_written_by_the_next_run(
    registry: RegistryServer,
    bare_remote: GitRemote,
    world: Callable[..., tuple[Path, str]],
    tmp_path: Path,
) -> None:
    path, image = world()
    repo = image.split("/", 1)[1]
    first = push_image(registry, repo, "1.1.0")
    db, cache = str(tmp_path / "state.db"), str(tmp_path / "cache")
    assert main(["reconcile", str(path), "--state", db, "--cache", cache]) == 0
    push_image(registry, repo, "1.3.0")
    assert main(["reconcile", str(path), "--state", db, "--cache", cache, "--all"]) == 0
    assert ":1.3.0@" in read_file_at(bare_remote, "main", "clusters/app.yaml")

    assert main(["rollback", "apps/app", "--state", db]) == 0
    assert main(["reconcile", str(path), "--state", db, "--cache", cache]) == 0
    content = read_file_at(bare_remote, "main", "clusters/app.yaml")
    assert f"{image}:1.1.0@{first.digest}" in content

    assert main(["rollback", "apps/app", "--release", "--state", db]) == 0
    assert main(["reconcile", str(path), "--state", db, "--cache", cache]) == 0
    assert ":1.3.0@" in read_file_at(bare_remote, "main", "clusters/app.yaml")


def test_dry_run_prints_diff_and_changes_nothing(
    registry: RegistryServer,
    bare_remote: GitRemote,
    world: Callable[..., tuple[Path, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path, image = world()
    repo = image.split("/", 1)[1]
    pushed = push_image(registry, repo, "1.4.0")
    before = head(bare_remote, "main")
    db = tmp_path / "state.db"
    code = main(
        [
            "reconcile",
            str(path),
            "--dry-run",
            "--state",
            str(db),
            "--cache",
            str(tmp_path / "cache"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert f"-          image: {image}:1.0.0" in out
    assert f"+          image: {image}:1.4.0@{pushed.digest}" in out
    assert head(bare_remote, "main") == before
    assert open_store(db).list_policies() == []  # dry run: real state untouched


def test_unreachable_registry_fails_that_object_and_exits_1(
    registry: RegistryServer,
    world: Callable[..., tuple[Path, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.rig.ports import free_port

    path, _ = world()
    policy_file = path / "all.yaml"
    dead = f"127.0.0.1:{free_port()}"
    policy_file.write_text(policy_file.read_text().replace(registry.host, dead))
    code = main(
        [
            "reconcile",
            str(path),
            "--state",
            str(tmp_path / "s.db"),
            "--cache",
            str(tmp_path / "cache"),
        ]
    )
    assert code == 1
    out = capsys.readouterr().out
    assert f"ImageRepository apps/app: {dead}" in out
    assert "ImagePolicy apps/app: ImageRepository apps/app not scanned yet" in out
    assert "ImageUpdateAutomation apps/fleet: no change" in out


def test_an_update_through_a_symlinked_manifest_is_committed(
    registry: RegistryServer,
    bare_remote: GitRemote,
    world: Callable[..., tuple[Path, str]],
    tmp_path: Path,
) -> None:
    """Before the fix the link's target was written but the unchanged link staged: no
    commit, a success reported, and the same lost edit on every run."""
    path, image = world()
    work = tmp_path / "linker"
    git("clone", "--quiet", bare_remote.file_url, str(work))
    (work / "base").mkdir()
    git("mv", "clusters/app.yaml", "base/app.yaml", cwd=work)
    os.symlink("../base/app.yaml", work / "clusters" / "app.yaml")
    git("add", "-A", cwd=work)
    git("commit", "--quiet", "-m", "link the manifest", cwd=work)
    git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=work)
    pushed = push_image(registry, image.split("/", 1)[1], "1.1.0")
    store = open_store(tmp_path / "state.db")

    report = reconcile(load_config([path]), store, cache=tmp_path / "cache")

    assert not report.failed, report
    assert report.automations[0].commit == head(bare_remote, "main")
    assert f"{image}:1.1.0@{pushed.digest}" in read_file_at(bare_remote, "main", "base/app.yaml")
    assert git("cat-file", "-p", "main:clusters/app.yaml", cwd=bare_remote.path) == (
        "../base/app.yaml"
    )
