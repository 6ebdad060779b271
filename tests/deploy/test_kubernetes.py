"""deploy/kubernetes: valid objects for the Kubernetes API (schemas shipped by the
`kubernetes-validate` package, offline), a pod that meets the "restricted" Pod Security Standard,
and a container command line that the program accepts and serves as the probes expect."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate
import pytest
from ruamel.yaml import YAML

from automation.cli import main
from tests.rig.git_remotes import GitRemote, seed
from tests.rig.ports import LOCALHOST, free_port

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes minor still maintained upstream when this was written, and the newest
# the schemas package knows.
KUBERNETES_VERSIONS = ("1.32.0", kubernetes_validate.latest_version())
# https://kubernetes.io/docs/concepts/security/pod-security-standards/ ("Volume Types").
RESTRICTED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}


def _load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in YAML(typ="safe").load_all(path.read_text()) if doc]


def _resources() -> list[dict[str, Any]]:
    (kustomization,) = _load(BASE / "kustomization.yaml")
    return [doc for name in kustomization["resources"] for doc in _load(BASE / name)]


def _one(kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in _resources() if doc["kind"] == kind]
    return found


def _pod() -> dict[str, Any]:
    spec: dict[str, Any] = _one("Deployment")["spec"]["template"]["spec"]
    return spec


def _container() -> dict[str, Any]:
    (container,) = _pod()["containers"]
    return dict(container)


def test_kustomization_lists_every_manifest_and_names_the_container_image() -> None:
    (kustomization,) = _load(BASE / "kustomization.yaml")
    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(on_disk)
    assert [i["name"] for i in kustomization["images"]] == [_container()["image"]]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_is_valid_for_the_kubernetes_api(version: str) -> None:
    kinds = []
    for doc in _resources():
        # strict: a misspelt or misplaced field is an error, not silently dropped by the API
        kubernetes_validate.validate(doc, version, strict=True)
        kinds.append(doc["kind"])
    assert sorted(kinds) == ["Deployment", "PodDisruptionBudget", "Service", "ServiceAccount"]


def test_invalid_field_is_caught_by_the_validator() -> None:
    broken = _one("Deployment")
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "x"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)


def test_pod_meets_the_restricted_pod_security_standard() -> None:
    pod, container = _pod(), _container()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001  # the Dockerfile's USER
    assert pod["securityContext"]["seccompProfile"]["type"] in ("RuntimeDefault", "Localhost")
    assert not {"hostNetwork", "hostPID", "hostIPC"} & pod.keys()
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert "add" not in security["capabilities"]
    assert security["readOnlyRootFilesystem"] is True
    for volume in pod["volumes"]:
        assert set(volume) - {"name"} <= RESTRICTED_VOLUMES, volume
    assert pod["automountServiceAccountToken"] is False
    assert "memory" in container["resources"]["limits"]
    assert container["resources"]["requests"]["cpu"]


def test_pod_agrees_with_the_image() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    (user,) = re.findall(r"^USER (\d+):(\d+)$", dockerfile, re.MULTILINE)
    (exposed,) = re.findall(r"^EXPOSE (\d+)$", dockerfile, re.MULTILINE)
    pod, container = _pod(), _container()
    context = pod["securityContext"]
    assert (str(context["runAsUser"]), str(context["runAsGroup"])) == user
    assert str(context["fsGroup"]) == user[1]  # Secret files are readable through the group
    assert [p["containerPort"] for p in container["ports"]] == [int(exposed)]
    # the image's state/cache directory is where the writable volume goes
    assert "/var/lib/image-automation" in dockerfile
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/var/lib/image-automation"]]


def test_replicas_service_and_disruption_budget_select_the_pods() -> None:
    deployment = _one("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert _one("Service")["spec"]["selector"].items() <= labels.items()
    budget = _one("PodDisruptionBudget")["spec"]
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    assert budget["maxUnavailable"] == 1


def _options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> set[str]:
    """The long options the CLI's own --help lists for ``argv``."""
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", capsys.readouterr().out))


def _split_args() -> tuple[list[str], list[str]]:
    args: list[str] = _container()["args"]
    command = args.index("run")
    return args[:command], args[command + 1 :]


def test_every_flag_in_the_container_args_exists_in_the_cli(
    capsys: pytest.CaptureFixture[str],
) -> None:
    global_args, run_args = _split_args()
    global_options, run_options = _options([], capsys), _options(["run"], capsys)
    flags = [a.partition("=")[0] for a in run_args if a.startswith("-")]
    assert "--listen" in flags
    assert {a.partition("=")[0] for a in global_args} <= global_options
    assert set(flags) <= run_options, set(flags) - run_options
    # every option carries its value inline: a value never stands alone, mistaken for a SOURCE
    assert all("=" in a for a in run_args if a.startswith("-"))


def test_mounts_match_the_paths_in_the_args() -> None:
    container, (_, run_args) = _container(), _split_args()
    values = dict(a.removeprefix("--").split("=", 1) for a in run_args if a.startswith("--"))
    env = {e["name"]: e["value"] for e in container["env"]}
    volumes = {v["name"]: v for v in _pod()["volumes"]}

    def mount_of(path: str) -> dict[str, Any]:
        (mount,) = [
            m
            for m in container["volumeMounts"]
            if f"{path}/".startswith(m["mountPath"].rstrip("/") + "/")
        ]
        return dict(mount)

    for secret_path in (values["secrets"], env["IMAGE_AUTOMATION_STATE_PASSWORD_FILE"]):
        mount = mount_of(secret_path)
        assert mount["readOnly"] is True and "secret" in volumes[mount["name"]]
    for writable in (values["cache"], "/tmp/x"):
        assert "emptyDir" in volumes[mount_of(writable)["name"]]
    state = env["IMAGE_AUTOMATION_STATE"]
    assert state.startswith("postgresql://") and ":@" not in state
    assert "password" not in state.split("?", 1)[-1]


def test_env_vars_are_ones_the_program_reads(capsys: pytest.CaptureFixture[str]) -> None:
    names = {e["name"] for e in _container()["env"]}
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    documented = set(re.findall(r"\$(IMAGE_AUTOMATION_[A-Z_]+)", capsys.readouterr().out))
    assert names <= documented, names - documented


@pytest.fixture
def daemon_args(bare_remote: GitRemote, tmp_path: Path) -> Iterator[tuple[list[str], int]]:
    """The container's command line with the cluster's endpoints swapped for local ones: the
    git policy source for a file:// remote (same branch and folder), state in SQLite."""
    global_args, run_args = _split_args()
    port = free_port()
    (source,) = [a for a in run_args if not a.startswith("-")]
    branch_and_path = source.partition("#")[2]
    folder = branch_and_path.partition(":")[2]
    policies = {f"{folder}/{p.name}": p.read_text() for p in (ROOT / "policies").glob("*.yaml")}
    seed(bare_remote, policies, "policies")
    (tmp_path / "secrets").mkdir()
    local = {
        "--listen": f"{LOCALHOST}:{port}",
        "--secrets": str(tmp_path / "secrets"),
        "--cache": str(tmp_path / "cache"),
    }
    translated = [
        f"{a.partition('=')[0]}={local[a.partition('=')[0]]}"
        if a.partition("=")[0] in local
        else f"git+{bare_remote.file_url}#{branch_and_path}"
        if a == source
        else a
        for a in run_args
    ]
    yield [*global_args, "run", "--state", str(tmp_path / "state.db"), *translated], port


def test_probe_paths_and_ports_are_served_by_the_running_program(
    daemon_args: tuple[list[str], int], tmp_path: Path
) -> None:
    container, (args, port) = _container(), daemon_args
    (_, run_args) = _split_args()
    listen = next(a for a in run_args if a.startswith("--listen="))
    (named,) = container["ports"]
    assert listen.rpartition(":")[2] == str(named["containerPort"])
    assert _one("Service")["spec"]["ports"][0]["targetPort"] == named["name"]
    probes = [container[p]["httpGet"] for p in ("startupProbe", "livenessProbe", "readinessProbe")]
    assert {p["port"] for p in probes} == {named["name"]}
    assert {p["path"] for p in probes} == {"/healthz", "/readyz"}

    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGE_AUTOMATION_")}
    with (tmp_path / "daemon.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "automation", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        for path in [p["path"] for p in probes] + ["/metrics"]:
            status = _poll(f"http://{LOCALHOST}:{port}{path}", proc)
            assert status == 200, (path, (tmp_path / "daemon.log").read_text()[-2000:])
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, (tmp_path / "daemon.log").read_text()[-2000:]


def _poll(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """The first non-503 status of GET ``url`` (503 is "not ready yet"), within ``timeout``."""
    deadline = time.monotonic() + timeout
    status = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            status = httpx.get(url, timeout=2.0, trust_env=False).status_code
        except httpx.TransportError:
            status = 0
        if status not in (0, 503):
            return status
        time.sleep(0.1)
    return status
