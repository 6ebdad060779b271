"""`image-automation update`: through the real CLI entry point."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from automation.cli import main
from automation.commands.update import PolicyKey, parse_image, parse_ref
from automation.errors import UsageError
from automation.reference import LatestRef
from automation.state import PolicyRecord, open_store

MARKED = 'image: nginx:1.0.0 # {"$imagepolicy": "apps:web"}\n'
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nginx:1.27", LatestRef("nginx", "1.27")),
        ("localhost:5000/a/b:v1", LatestRef("localhost:5000/a/b", "v1")),
        ("r.io:443/x:1@sha256:abc", LatestRef("r.io:443/x", "1", "sha256:abc")),
        ("ghcr.io/a:v2@sha256:f", LatestRef("ghcr.io/a", "v2", "sha256:f")),
    ],
)
def test_parse_image(text: str, expected: LatestRef) -> None:
    assert parse_image(text) == expected


@pytest.mark.parametrize(
    "text", ["localhost:5000/app", "nginx", "nginx:", "nginx:1@nodigest", ":1", "a:1@sha256:"]
)
def test_parse_image_refuses(text: str) -> None:
    with pytest.raises(UsageError):
        parse_image(text)


def test_parse_ref() -> None:
    assert parse_ref("apps:web=nginx:1") == (PolicyKey("apps", "web"), LatestRef("nginx", "1"))
    for bad in ["web=nginx:1", "apps:web", "apps:=nginx:1", "apps:web:tag=nginx:1"]:
        with pytest.raises(UsageError):
            parse_ref(bad)


def test_update_writes_and_prints_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(MARKED)
    assert main(["update", str(tmp_path), "--ref", "apps:web=nginx:1.27.3"]) == 0
    assert (tmp_path / "a.yaml").read_text() == MARKED.replace("1.0.0", "1.27.3")
    out = capsys.readouterr().out
    assert out == "a.yaml:1: nginx:1.0.0 -> nginx:1.27.3 (apps:web)\n"
    assert main(["update", str(tmp_path), "--ref", "apps:web=nginx:1.27.3"]) == 0
    assert capsys.readouterr().out == "no changes\n"


def test_text_output_names_the_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.yaml").write_text("kind: Deployment\nmetadata:\n  name: web\n" + MARKED)
    assert main(["update", str(tmp_path), "--ref", "apps:web=nginx:2"]) == 0
    assert capsys.readouterr().out == (
        "d.yaml:4: nginx:1.0.0 -> nginx:2 (apps:web) in Deployment/web\n"
    )  # no empty namespace between the slashes


def test_dry_run_prints_a_diff_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(MARKED)
    assert main(["update", str(tmp_path), "--dry-run", "--ref", "apps:web=nginx:2"]) == 0
    assert (tmp_path / "a.yaml").read_text() == MARKED
    out = capsys.readouterr().out
    assert out.startswith("--- a/a.yaml\n+++ b/a.yaml\n")
    assert '+image: nginx:2 # {"$imagepolicy": "apps:web"}\n' in out
    assert (
        main(["update", str(tmp_path), "--dry-run", "-o", "json", "--ref", "apps:web=nginx:2"]) == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["dryRun"] is True and report["diffs"]["a.yaml"] == out
    assert (tmp_path / "a.yaml").read_text() == MARKED


def test_json_output_and_failure_exit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.yaml").write_text(MARKED)
    (tmp_path / "b.yaml").write_text('x: [\n# {"$imagepolicy": "apps:web"}\n')
    code = main(["update", str(tmp_path), "-o", "json", "--ref", "apps:web=nginx:2"])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert code == 1
    assert report["files"][0]["path"] == "a.yaml"
    assert report["problemFiles"][0]["path"] == "b.yaml"
    assert "error: b.yaml:" in captured.err


def test_yaml_output_lists_skipped_markers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").write_text(MARKED.replace("apps:web", "other:web"))
    assert main(["update", str(tmp_path), "-o", "yaml", "--ref", "apps:web=nginx:2"]) == 0
    out = capsys.readouterr().out
    assert "skippedMarkers:\n- path: a.yaml\n  line: 1\n  marker: other:web\n" in out


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["update", str(tmp_path)]) == 2
    assert main(["update", str(tmp_path), "--ref", "a:x=n:1", "--ref", "b:y=n:1"]) == 2
    assert "several namespaces" in capsys.readouterr().err
    assert main(["update", str(tmp_path), "--namespace", "a", "--ref", "b:y=n:1"]) == 2
    assert main(["update", str(tmp_path / "missing"), "--ref", "a:x=n:1"]) == 2


def test_from_state_uses_stored_refs_and_pins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "state.db"
    store = open_store(db)
    store.record_policy(
        PolicyRecord("apps/web", latest_ref=LatestRef("nginx", "1.1.0")), reason="scan", now=NOW
    )
    store.record_policy(
        PolicyRecord("apps/web", latest_ref=LatestRef("nginx", "1.2.0")), reason="scan", now=NOW
    )
    store.set_pin("apps/web", 1)  # rolled back to generation 1
    store.record_policy(
        PolicyRecord("other/x", latest_ref=LatestRef("x", "1")), reason="scan", now=NOW
    )
    store.close()
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.yaml").write_text(MARKED)
    args = ["update", str(repo), "--from-state", "--state", str(db)]
    assert main(args) == 2  # two namespaces in the store: which one?
    assert main([*args, "--namespace", "apps"]) == 0
    assert (repo / "a.yaml").read_text() == MARKED.replace("1.0.0", "1.1.0")
    assert main([*args, "--ref", "apps:web=nginx:9"]) == 0  # the command line wins
    assert "nginx:9 #" in (repo / "a.yaml").read_text()
    capsys.readouterr()
