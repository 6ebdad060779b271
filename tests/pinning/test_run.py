"""Which files a pin reads and what it reports without asking a registry: skipped values,
files that do not parse or decode, directories walked in order, hidden ones left out."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from automation.errors import UsageError
from automation.pinning.run import manifest_files, pin_paths
from tests.pinning.conftest import plain_access


def tree(root: Path) -> Path:
    (root / "b").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.yaml").write_text('image: "{{ .Values.image }}"\n')
    (root / "b" / "broken.yml").write_text("a: 1\nb: [\n")
    (root / "b" / "latin1.yaml").write_bytes(b"image: caf\xe9\n")
    (root / "b" / "notes.txt").write_text("image: r.io/a:1\n")
    (root / ".git" / "x.yaml").write_text("image: r.io/a:1\n")
    return root


def test_directories_are_walked_in_order_skipping_hidden_and_non_yaml(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")
    names = [name for _, name in manifest_files([root, root / "b" / "notes.txt", root / "a.yaml"])]
    assert names == [
        str(root / "a.yaml"),
        str(root / "b" / "broken.yml"),
        str(root / "b" / "latin1.yaml"),
        str(root / "b" / "notes.txt"),  # named explicitly: read whatever its extension
    ]


def test_problems_and_skipped_values_are_reported_and_nothing_is_written(tmp_path: Path) -> None:
    root = tree(tmp_path / "repo")
    report = asyncio.run(pin_paths([root], plain_access()))
    assert [(n.kind, Path(n.file).name, n.line) for n in report.notes] == [
        ("problem", "broken.yml", 3),
        ("problem", "latin1.yaml", 0),
        ("skipped", "a.yaml", 1),
    ]
    assert report.notes[1].message == "not UTF-8 text (byte 10)"
    assert not report.ok and report.changes == () and report.written == ()


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or directory"):
        asyncio.run(pin_paths([tmp_path / "nope"], plain_access()))
