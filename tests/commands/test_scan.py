"""`scan` against the real registry, and `get repositories` after it, in Flux's status shape."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from automation.cli import main
from tests.rig.images import push_image
from tests.rig.ports import free_port
from tests.rig.registry import RegistryServer


def write(tmp_path: Path, host: str, repo: str, extra: str = "") -> Path:
    path = tmp_path / "policies"
    path.mkdir(exist_ok=True)
    (path / "repos.yaml").write_text(
        f"apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
        f"metadata: {{name: app, namespace: apps}}\n"
        f"spec:\n  image: {host}/{repo}\n  interval: 1h\n  insecure: true\n{extra}"
    )
    return path


def test_scan_then_get_repositories(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = f"scan/{uuid.uuid4().hex[:8]}"
    for tag in ("1.0.0", "1.1.0", "1.1.0.sig", "bad-but-valid"):
        push_image(registry, repo, tag)
    path, db = write(tmp_path, registry.host, repo), str(tmp_path / "s.db")

    assert main(["scan", str(path), "--state", db]) == 0
    out = capsys.readouterr().out
    assert "apps/app" in out and "new tags" in out and " 3 " in out

    assert main(["get", "repositories", str(path), "--state", db, "-o", "json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)["items"]
    status = item["status"]
    assert status["canonicalImageName"] == f"{registry.host}/{repo}"
    result = status["lastScanResult"]
    assert result["tagCount"] == 3  # the .sig tag is excluded by default
    assert result["latestTags"] == ["bad-but-valid", "1.1.0", "1.0.0"]
    assert result["revision"].startswith("sha256:")
    assert status["conditions"][0]["message"] == (
        f"successful scan: found 3 tags with checksum {result['revision']}"
    )

    # Not due again within the interval: nothing scanned, same revision kept.
    assert main(["scan", str(path), "--state", db]) == 0
    assert "not due" in capsys.readouterr().out
    push_image(registry, repo, "2.0.0")
    assert main(["scan", str(path), "--state", db, "--name", "apps/app", "-o", "json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["tags"] == 4 and row["changed"] is True


def test_scan_failure_exits_1_and_is_shown_by_get(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, db = write(tmp_path, f"127.0.0.1:{free_port()}", "x/y"), str(tmp_path / "s.db")
    assert main(["scan", str(path), "--state", db]) == 1
    capsys.readouterr()
    assert main(["get", "repositories", str(path), "--state", db, "-o", "yaml"]) == 0
    out = capsys.readouterr().out
    assert "status: 'False'" in out and "reason: ReadOperationFailed" in out


def test_scan_unknown_name_is_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, "127.0.0.1:1", "x/y")
    assert main(["scan", str(path), "--name", "apps/nope", "--state", str(tmp_path / "s")]) == 2


def test_suspended_repository_is_not_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, f"127.0.0.1:{free_port()}", "x/y", "  suspend: true\n")
    assert main(["scan", str(path), "--state", str(tmp_path / "s.db")]) == 0
    assert "suspended" in capsys.readouterr().out


def test_progress_is_reported_per_finished_scan(registry: RegistryServer, tmp_path: Path) -> None:
    import asyncio
    from datetime import UTC, datetime

    from automation.config import load_config
    from automation.state import open_store
    from automation.steps.scan import scan_repositories

    path = tmp_path / "policies"
    path.mkdir()
    repos = [f"progress/{uuid.uuid4().hex[:8]}" for _ in range(3)]
    docs = []
    for i, repo in enumerate(repos):
        push_image(registry, repo, "1.0.0")
        docs.append(
            f"apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\n"
            f"metadata: {{name: r{i}}}\nspec: {{image: {registry.host}/{repo}, interval: 1h, "
            "insecure: true}\n"
        )
    (path / "r.yaml").write_text("---\n".join(docs))
    seen: list[tuple[int, int]] = []
    store = open_store(tmp_path / "s.db")
    asyncio.run(
        scan_repositories(
            load_config([path]),
            store,
            datetime.now(UTC),
            progress=lambda done, total: seen.append((done, total)),
        )
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]
