"""`image-automation pin` as users run it: output forms, exit codes, TLS, credentials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from automation.cli import main

# docker_config (autouse): an empty $DOCKER_CONFIG per test, never the machine's ~/.docker.
from tests.pinning.conftest import docker_config, unique_ns, write_docker_auth
from tests.rig.images import PushedImage, push_image, push_index
from tests.rig.registry import RegistryServer

ABSENT = "sha256:" + "0" * 64


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def pod(*images: str) -> str:
    lines = ["apiVersion: v1", "kind: Pod", "spec:", "  containers:"]
    for number, image in enumerate(images):
        lines += [f"  - name: c{number}", f"    image: {image}"]
    return "\n".join(lines) + "\n"


def pushed_app(registry: RegistryServer) -> tuple[PushedImage, str]:
    """A fresh `<ns>/app:1.0` on the registry, and its reference."""
    ns = unique_ns()
    return push_image(registry, f"{ns}/app", "1.0"), registry.ref(f"{ns}/app", "1.0")


__all__ = ["docker_config"]


def test_pin_prints_change_list_and_writes(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pushed, ref = pushed_app(registry)
    manifest = write(tmp_path / "pod.yaml", pod(ref))

    assert main(["pin", "--insecure", str(manifest)]) == 0

    out = capsys.readouterr().out
    assert out == f"{manifest}:6: {ref} -> {ref}@{pushed.digest}\n"
    assert manifest.read_text() == pod(f"{ref}@{pushed.digest}")


def test_dry_run_prints_diff_and_writes_nothing(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pushed, ref = pushed_app(registry)
    manifest = write(tmp_path / "pod.yaml", pod(ref))

    assert main(["pin", "--insecure", "--dry-run", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert f"-    image: {ref}\n+    image: {ref}@{pushed.digest}\n" in out
    assert out.startswith(f"--- a/{manifest}\n+++ b/{manifest}\n")
    assert manifest.read_text() == pod(ref)


def test_json_report_and_exit_1_when_a_tag_is_missing(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique_ns()
    pushed = push_image(registry, f"{ns}/app", "1.0")
    good = registry.ref(f"{ns}/app", "1.0")
    missing = registry.ref(f"{ns}/app", "9.9")
    manifest = write(tmp_path / "pod.yaml", pod(good, missing))

    assert main(["pin", "--insecure", "-o", "json", str(manifest)]) == 1

    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["changes"] == [
        {"file": str(manifest), "line": 6, "old": good, "new": f"{good}@{pushed.digest}"}
    ]
    [note] = report["notes"]
    assert (note["kind"], note["line"], note["reference"]) == ("unresolved", 8, missing)
    assert "'9.9' not found (HTTP 404)" in note["message"]
    # The resolvable reference is pinned even though the run failed.
    assert manifest.read_text() == pod(f"{good}@{pushed.digest}", missing)


def test_already_pinned_digest_is_verified_or_reported(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique_ns()
    pushed = push_image(registry, f"{ns}/app", "1.0")
    exists = f"{registry.ref(f'{ns}/app', '1.0')}@{pushed.digest}"
    manifest = write(tmp_path / "pod.yaml", pod(exists))
    assert main(["pin", "--insecure", str(manifest)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "no changes\n"
    assert f"{manifest}:6: verified: {exists}: digest exists" in captured.err

    absent = f"{registry.ref(f'{ns}/app', '1.0')}@{ABSENT}"
    write(manifest, pod(exists, absent))
    assert main(["pin", "--insecure", str(manifest)]) == 1
    err = capsys.readouterr().err
    assert f"{manifest}:8: unresolved: {absent}: digest {ABSENT} does not exist (HTTP 404)" in err
    assert manifest.read_text() == pod(exists, absent)


def test_platform_pins_the_child_manifest(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique_ns()
    index = push_index(registry, f"{ns}/multi", "3", [("linux", "amd64"), ("linux", "arm", "v7")])
    single = push_image(registry, f"{ns}/single", "1", platform=("linux", "arm64"))
    multi_ref = registry.ref(f"{ns}/multi", "3")
    single_ref = registry.ref(f"{ns}/single", "1")
    manifest = write(tmp_path / "pod.yaml", pod(multi_ref, single_ref))

    assert main(["pin", "--insecure", "--platform", "linux/arm/v7", str(manifest)]) == 1
    err = capsys.readouterr().err
    assert "is a single-platform image for linux/arm64, not linux/arm/v7" in err
    assert manifest.read_text() == pod(
        f"{multi_ref}@{index.children[('linux', 'arm', 'v7')]}", single_ref
    )

    write(manifest, pod(multi_ref, single_ref))
    assert main(["pin", "--insecure", "--platform", "linux/s390x", str(manifest)]) == 1
    err = capsys.readouterr().err
    assert "3 has no manifest for linux/s390x (has: linux/amd64, linux/arm/v7)" in err

    write(manifest, pod(single_ref))
    assert main(["pin", "--insecure", "--platform", "linux/arm64", str(manifest)]) == 0
    assert manifest.read_text() == pod(f"{single_ref}@{single.digest}")


def test_tls_basic_auth_with_ca_file_and_docker_config(
    registry_basic_tls: RegistryServer,
    tmp_path: Path,
    docker_config: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = registry_basic_tls
    assert server.ca_file is not None and server.password
    ns = unique_ns()
    pushed = push_image(server, f"{ns}/secure", "1.0")
    ref = server.ref(f"{ns}/secure", "1.0")
    manifest = write(tmp_path / "pod.yaml", pod(ref))

    # No credentials yet: the registry says 401; the error never shows a secret.
    assert main(["pin", "--ca-file", str(server.ca_file), str(manifest)]) == 1
    err = capsys.readouterr().err
    assert "authentication failed" in err and server.password not in err

    write_docker_auth(docker_config, server)
    # Without the CA the certificate is not trusted.
    assert main(["pin", str(manifest)]) == 1
    assert "certificate" in capsys.readouterr().err.lower()

    assert main(["pin", "--ca-file", str(server.ca_file), str(manifest)]) == 0
    assert manifest.read_text() == pod(f"{ref}@{pushed.digest}")
    assert server.password not in capsys.readouterr().out


def test_ssl_cert_file_is_honoured(
    registry_basic_tls: RegistryServer,
    tmp_path: Path,
    docker_config: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = registry_basic_tls
    assert server.ca_file is not None
    ns = unique_ns()
    pushed = push_image(server, f"{ns}/secure", "2.0")
    ref = server.ref(f"{ns}/secure", "2.0")
    manifest = write(tmp_path / "pod.yaml", pod(ref))
    write_docker_auth(docker_config, server)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))

    assert main(["pin", str(manifest)]) == 0
    assert manifest.read_text() == pod(f"{ref}@{pushed.digest}")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pin", "--platform", "linux", "x.yaml"], "expected OS/ARCH[/VARIANT]"),
        (["pin", "does-not-exist.yaml"], "does-not-exist.yaml: no such file or directory"),
        (["pin", "--ca-file", "no-such-ca.pem", "."], "--ca-file no-such-ca.pem"),
        (["pin", "--concurrency", "0", "."], "--concurrency must be at least 1"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_unparseable_file_is_reported_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "bad.yaml", "image: [unclosed\n")
    write(tmp_path / "ok.yaml", "image: {{ .Values.image }}\n")
    assert main(["pin", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'bad.yaml'}:2: problem: YAML does not parse" in err


def test_symlink_target_is_written_and_duplicates_count_once(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pushed, ref = pushed_app(registry)
    target = write(tmp_path / "real.yaml", pod(ref))
    link = tmp_path / "dir" / "link.yaml"
    link.parent.mkdir()
    link.symlink_to(target)

    assert main(["pin", "--insecure", str(link), str(tmp_path)]) == 0

    assert link.is_symlink()
    assert target.read_text() == pod(f"{ref}@{pushed.digest}")
    assert capsys.readouterr().out.count(" -> ") == 1


def test_yaml_report_reads_back(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pushed, ref = pushed_app(registry)
    manifest = write(tmp_path / "pod.yaml", pod(ref))

    assert main(["pin", "--insecure", "--dry-run", "-o", "yaml", str(manifest)]) == 0

    report = YAML(typ="safe").load(capsys.readouterr().out)
    assert report["dryRun"] is True and report["written"] == []
    assert report["changes"][0]["new"] == f"{ref}@{pushed.digest}"
    assert manifest.read_text() == pod(ref)
