"""`image-automation imageset`: an ImageSet a YAML parser reads back with the registry's digests."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from automation.cli import main

# docker_config (autouse): an empty $DOCKER_CONFIG per test, never the machine's ~/.docker.
from tests.pinning.conftest import docker_config, head_digest, unique_ns
from tests.rig.images import push_image, push_index
from tests.rig.registry import RegistryServer

__all__ = ["docker_config"]


def load_yaml(text: str) -> dict[str, object]:
    data = YAML(typ="safe").load(io.StringIO(text))
    assert isinstance(data, dict)
    return data


def test_imageset_reads_back_with_registry_digests(
    registry: RegistryServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique_ns()
    push_image(registry, f"{ns}/node", "v3.27.0")
    push_index(registry, f"{ns}/cni", "v3.27.0")
    push_image(registry, f"{ns}/apiserver", "v3.27.0")
    refs = [registry.ref(f"{ns}/{name}", "v3.27.0") for name in ("node", "cni", "apiserver")]

    assert main(["imageset", "--insecure", "--name", "calico-v3.27.0", *refs]) == 0

    out = capsys.readouterr().out
    assert all(line == line.rstrip() and len(line) < 120 for line in out.splitlines())
    document = load_yaml(out)
    assert document["apiVersion"] == "operator.tigera.io/v1"
    assert document["kind"] == "ImageSet"
    assert document["metadata"] == {"name": "calico-v3.27.0"}
    spec = document["spec"]
    assert isinstance(spec, dict)
    assert spec["images"] == [
        {"image": f"{ns}/{name}", "digest": head_digest(registry, f"{ns}/{name}", "v3.27.0")}
        for name in ("apiserver", "cni", "node")  # sorted by image
    ]


def test_lock_format_and_from_file(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique_ns()
    a = push_image(registry, f"{ns}/a", "1")
    b = push_image(registry, f"{ns}/b", "2")
    ref_a, ref_b = registry.ref(f"{ns}/a", "1"), registry.ref(f"{ns}/b", "2")
    listing = tmp_path / "images.txt"
    listing.write_text(f"# release images\n\n{ref_b}   # the b image\n")

    argv = ["imageset", "--insecure", "--format", "lock", "--from-file", str(listing), ref_a]
    assert main(argv) == 0

    assert json.loads(capsys.readouterr().out) == {ref_a: a.digest, ref_b: b.digest}


def test_platform_imageset_uses_child_digests(
    registry: RegistryServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique_ns()
    index = push_index(registry, f"{ns}/multi", "1")
    ref = registry.ref(f"{ns}/multi", "1")
    argv = ["imageset", "--insecure", "--platform", "linux/arm64", "--format", "lock", ref]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == {ref: index.children[("linux", "arm64")]}


def test_any_unresolvable_image_fails_the_set(
    registry: RegistryServer, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique_ns()
    push_image(registry, f"{ns}/a", "1")
    good, bad = registry.ref(f"{ns}/a", "1"), registry.ref(f"{ns}/b", "404")

    assert main(["imageset", "--insecure", "--name", "x", good, bad]) == 1

    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{bad}: tag '404' not found (HTTP 404)" in captured.err
    assert "--name" not in captured.err
    assert good + ":" not in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["imageset", "a:1"], "--name is required"),
        (["imageset", "--name", "x"], "give at least one IMAGE:TAG"),
        (["imageset", "--name", "x", "example.com/a"], "give a tag"),
        (["imageset", "--name", "x", "Bad/Name:1"], "invalid image name"),
        (
            ["imageset", "--name", "x", "example.com/a:1", "example.com/a:2"],
            "an ImageSet holds one digest per image",
        ),
        (["imageset", "--name", "x", "--from-file", "missing.txt"], "--from-file missing.txt"),
    ],
)
def test_usage_errors(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_from_stdin(
    registry: RegistryServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ns = unique_ns()
    pushed = push_image(registry, f"{ns}/a", "1")
    ref = registry.ref(f"{ns}/a", "1")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"# from a pipe\n{ref}\n"))
    assert main(["imageset", "--insecure", "--format", "lock", "--from-file", "-"]) == 0
    assert json.loads(capsys.readouterr().out) == {ref: pushed.digest}
