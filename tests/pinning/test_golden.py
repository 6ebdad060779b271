"""A pin run over a directory of mixed manifests, byte for byte against `expected/`.

The registry returns random digests per push, so the golden files hold placeholders:
`{{host}}` (the rig registry's host:port), `{{ns}}` (a unique namespace per test) and
`{{digest:REPO:TAG}}` (the digest the pusher got back for ns/REPO:TAG). `materialize` fills them
into both `original/` and `expected/` before the run; nothing else differs from the files.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from automation.manifests.apply import unified_diff
from automation.pinning.run import pin_paths
from tests.pinning.conftest import materialize, plain_access, unique_ns
from tests.rig.images import push_image, push_index
from tests.rig.registry import RegistryServer

GOLDEN = Path(__file__).parent / "testdata" / "mixed"
SINGLE = ("app:1.0", "init:1.0", "sidecar:0.9", "proxy:2", "web:2.1", "redis:7.2", "exporter:1.10")
INDEXES = ("multi:3",)


def seed(registry: RegistryServer) -> dict[str, str]:
    """Push every image the golden files name; return the placeholder values."""
    ns = unique_ns()
    values = {"host": registry.host, "ns": ns}
    for ref in SINGLE:
        repo, tag = ref.split(":")
        values[f"digest:{ref}"] = push_image(registry, f"{ns}/{repo}", tag).digest
    for ref in INDEXES:
        repo, tag = ref.split(":")
        values[f"digest:{ref}"] = push_index(registry, f"{ns}/{repo}", tag).digest
    return values


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_pin_mixed_directory_matches_golden(registry: RegistryServer, tmp_path: Path) -> None:
    values = seed(registry)
    materialize(GOLDEN / "original", tmp_path / "work", values)
    materialize(GOLDEN / "expected", tmp_path / "expected", values)

    report = asyncio.run(pin_paths([tmp_path / "work"], plain_access()))

    assert files_of(tmp_path / "work") == files_of(tmp_path / "expected")
    assert report.ok, report.notes
    assert len(report.changes) == 13
    assert sorted(report.written) == sorted(
        str(tmp_path / "work" / name)
        for name in (
            "crlf.yaml",
            "cronjob.yml",
            "deployment.yaml",
            "helm/values.yaml",
            "multi.yaml",
            "overlay/kustomization.yaml",
        )
    )
    skipped = {(Path(n.file).name, n.line): n.message for n in report.of_kind("skipped")}
    assert skipped == {
        ("multi.yaml", 18): "templated value, not resolved",
        ("multi.yaml", 20): "empty value",
        ("multi.yaml", 27): "not an image reference (invalid path component 'not a reference')",
        ("values.yaml", 17): "no tag to resolve",
    }
    verified = [(Path(n.file).name, n.line) for n in report.of_kind("verified")]
    assert verified == [("deployment.yaml", 17)]


def test_second_run_changes_nothing_and_verifies_every_pin(
    registry: RegistryServer, tmp_path: Path
) -> None:
    values = seed(registry)
    materialize(GOLDEN / "expected", tmp_path / "work", values)
    before = files_of(tmp_path / "work")

    report = asyncio.run(pin_paths([tmp_path / "work"], plain_access()))

    assert report.changes == () and report.written == ()
    assert files_of(tmp_path / "work") == before
    assert report.ok
    # 13 written pins + the sidecar that came pinned; the proxy/app/web refs repeat per file.
    assert len(report.of_kind("verified")) == 14


def test_dry_run_writes_nothing_and_diffs_to_expected(
    registry: RegistryServer, tmp_path: Path
) -> None:
    values = seed(registry)
    materialize(GOLDEN / "original", tmp_path / "work", values)
    materialize(GOLDEN / "expected", tmp_path / "expected", values)
    before = files_of(tmp_path / "work")

    report = asyncio.run(pin_paths([tmp_path / "work"], plain_access(), dry_run=True))

    assert files_of(tmp_path / "work") == before
    assert report.written == ()
    expected = files_of(tmp_path / "expected")
    for name, diff in report.diffs.items():
        relative = Path(name).relative_to(tmp_path / "work").as_posix()
        old = before[relative].decode()
        assert diff == unified_diff(name, old, expected[relative].decode())
    assert len(report.diffs) == 6
