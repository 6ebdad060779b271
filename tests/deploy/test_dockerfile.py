"""The Dockerfile, built by buildah FROM a Debian base bootstrapped here, and the image run for
real: its configuration, --version, validate on the example policies, and one reconcile cycle
against the rig's registry and git server (tests/rig/containers.py explains the machinery)."""

from __future__ import annotations

import os
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from automation import __version__
from automation.cli import main
from tests.deploy.conftest import MEASURED
from tests.rig.containers import (
    Buildah,
    Container,
    build_image,
    cache_dir,
    container,
    ensure_base,
    image_size,
    storage,
)
from tests.rig.git_remotes import GitRemote, log, read_file_at, seed
from tests.rig.images import push_image
from tests.rig.registry import RegistryServer

ROOT = Path(__file__).resolve().parents[2]
UID = 10001
# A first run bootstraps the base (~45 s, ~100 s on a busy machine) before building.
pytestmark = pytest.mark.timeout(900)
MAX_IMAGE_MB = 450  # base ~295 MB (python3, git, gnupg, openssh) + ~45 MB of Python packages


@pytest.fixture(scope="module")
def image() -> Iterator[tuple[Buildah, str]]:
    buildah = storage(cache_dir())
    started = time.monotonic()
    base = ensure_base(buildah)
    bootstrapped = time.monotonic()
    tag = f"localhost/image-automation-test:{uuid.uuid4().hex[:12]}"
    build_image(buildah, ROOT, base, tag)
    built = time.monotonic()
    MEASURED.append(
        f"image: base ready in {bootstrapped - started:.1f}s, built in "
        f"{built - bootstrapped:.1f}s, size {image_size(buildah, tag)} ({buildah.driver} storage)"
    )
    try:
        yield buildah, tag
    finally:
        buildah("rmi", tag, check=False)


@pytest.fixture
def box(image: tuple[Buildah, str]) -> Iterator[Container]:
    with container(*image) as made:
        yield made


def test_image_config_runs_the_cli_as_a_fixed_non_root_user(image: tuple[Buildah, str]) -> None:
    buildah, tag = image
    config = buildah.inspect(tag)["OCIv1"]
    assert isinstance(config, dict)
    assert config["config"]["User"] == f"{UID}:{UID}"
    assert config["config"]["Entrypoint"] == ["image-automation"]
    assert "9292/tcp" in config["config"]["ExposedPorts"]
    size = image_size(buildah, tag)
    number, unit = size.split()
    assert unit == "MB" and float(number) < MAX_IMAGE_MB, size


def test_version_matches_the_package(box: Container) -> None:
    done = box.run("image-automation", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"image-automation {__version__}"


def test_final_stage_has_no_build_tools_and_a_read_only_program(box: Container) -> None:
    done = box.run(
        "sh",
        "-c",
        "id -u; for t in gcc cc make pip pip3 apt-get; do command -v $t || echo no-$t; done;"
        " python3 -c 'import pip' 2>/dev/null && echo has-pip-module;"
        " touch /opt/image-automation/x 2>/dev/null && echo program-writable;"
        " touch /var/lib/image-automation/x && echo state-writable",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split()
    assert lines[0] == str(UID)
    # apt-get is part of every Debian base (python:3.11-slim too); only the compilers and pip
    # must be gone.
    assert [line for line in lines[1:] if not line.startswith("no-")] == [
        "/usr/bin/apt-get",
        "state-writable",
    ]


def test_validate_on_the_example_policies(
    box: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    # The examples point at the demo's file:// remote, which the operator must allow.
    done = box.run(
        *("env", "IMAGE_AUTOMATION_ALLOW_FILE_REMOTES=1"),
        *("image-automation", "validate", "/policies"),
        mounts=[f"{ROOT / 'policies'}:/policies:ro"],
    )
    assert done.returncode == 0, done.stderr
    assert main(["validate", str(ROOT / "policies")]) == 0
    assert done.stdout == capsys.readouterr().out  # the same verdict as the program outside
    assert done.stdout.startswith("ok: ")


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


def _policies(registry: RegistryServer, repo: str, remote: GitRemote) -> str:
    return textwrap.dedent(f"""\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {{name: fleet, namespace: apps}}
        spec:
          url: {remote.url}
          ref: {{branch: main}}
          secretRef: {{name: git-auth}}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageRepository
        metadata: {{name: app, namespace: apps}}
        spec: {{image: {registry.host}/{repo}, interval: 1h, insecure: true}}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImagePolicy
        metadata: {{name: app, namespace: apps}}
        spec:
          imageRepositoryRef: {{name: app}}
          policy: {{semver: {{range: "^1.0"}}}}
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


def _secret(remote: GitRemote) -> str:
    return textwrap.dedent(f"""\
        apiVersion: v1
        kind: Secret
        metadata: {{name: git-auth, namespace: apps}}
        stringData: {{username: {remote.username}, password: {remote.password}}}
        """)


def test_reconcile_in_the_container_against_the_rig(
    box: Container, registry: RegistryServer, http_remote: GitRemote, tmp_path: Path
) -> None:
    repo = f"image/app-{uuid.uuid4().hex[:8]}"
    image = f"{registry.host}/{repo}"
    seed(http_remote, {"clusters/app.yaml": DEPLOY.format(image=image)}, "add app")
    for tag in ("1.0.0", "1.2.0", "2.0.0"):
        push_image(registry, repo, tag)
    for name, text in (("policies", _policies(registry, repo, http_remote)),):
        (tmp_path / name).mkdir()
        (tmp_path / name / "all.yaml").write_text(text)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "git.yaml").write_text(_secret(http_remote))
    state, scratch, home = tmp_path / "state", tmp_path / "tmp", tmp_path / "home"
    for path in (state, scratch, home):
        path.mkdir()
    os.chown(state, UID, UID)
    scratch.chmod(0o1777)

    done = box.run(
        "image-automation",
        "reconcile",
        "--secrets",
        "/secrets",
        "/policies",
        mounts=[
            f"{tmp_path / 'policies'}:/policies:ro",
            f"{tmp_path / 'secrets'}:/secrets:ro",
            f"{state}:/var/lib/image-automation",
            # As in deploy/kubernetes (read-only root filesystem): only the state/cache
            # directory and /tmp are writable; the home directory and /var/tmp are not.
            f"{scratch}:/tmp",
            f"{home}:/home/automation:ro",
            f"{home}:/var/tmp:ro",
        ],
        timeout=180.0,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert read_file_at(http_remote, "main", "clusters/app.yaml") == DEPLOY.format(
        image=image
    ).replace(f"{image}:1.0.0", f"{image}:1.2.0")
    assert len(log(http_remote, "main")) == 3  # seed, add app, the update
    assert (state / "state.db").stat().st_uid == UID
    assert http_remote.password not in done.stdout + done.stderr
