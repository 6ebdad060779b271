"""Replacing files' contents by exchanging them with one reused spare inode."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from automation.manifests.replace import _EXCHANGE, FileReplacer

needs_exchange = pytest.mark.skipif(_EXCHANGE is None, reason="no renameat2 on this system")


def _files(root: Path, count: int) -> list[Path]:
    paths = []
    for i in range(count):
        directory = root / f"team-{i % 3}"
        directory.mkdir(exist_ok=True)
        path = directory / f"app-{i}.yaml"
        path.write_bytes(b"image: app:1.0 # a longer old text than the new one\n" * (i + 1))
        path.chmod(0o640 if i % 2 else 0o644)
        paths.append(path)
    return paths


@needs_exchange
def test_many_files_get_their_new_bytes_and_keep_their_mode(tmp_path: Path) -> None:
    paths = _files(tmp_path, 7)
    modes = [p.stat().st_mode for p in paths]
    with FileReplacer() as replacer:
        for i, path in enumerate(paths):
            replacer.replace(path, f"image: app:2.{i}\n".encode())
    assert [p.read_bytes() for p in paths] == [f"image: app:2.{i}\n".encode() for i in range(7)]
    assert [p.stat().st_mode for p in paths] == modes
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        p.name for p in paths
    )  # no spare left behind


@needs_exchange
def test_an_inode_with_another_link_is_not_reused(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_bytes(b"a: 1\n")
    second.write_bytes(b"b: 1\n")
    other_name = tmp_path / "a-link.yaml"
    os.link(first, other_name)
    with FileReplacer() as replacer:
        replacer.replace(first, b"a: 2\n")
        replacer.replace(second, b"b: 2\n")
    assert first.read_bytes() == b"a: 2\n"
    assert second.read_bytes() == b"b: 2\n"
    assert other_name.read_bytes() == b"a: 1\n"  # as after a rename over `first`


def test_without_the_exchange_files_are_renamed_over(tmp_path: Path) -> None:
    paths = _files(tmp_path, 3)
    with FileReplacer(exchange=None) as replacer:
        for path in paths:
            replacer.replace(path, b"new\n")
    assert all(p.read_bytes() == b"new\n" for p in paths)


@pytest.mark.parametrize("code", [errno.EINVAL, errno.EXDEV])
def test_a_filesystem_without_the_exchange_falls_back(tmp_path: Path, code: int) -> None:
    calls: list[str] = []

    def refuse(one: str, other: str) -> None:
        calls.append(other)
        raise OSError(code, os.strerror(code))

    paths = _files(tmp_path, 3)
    with FileReplacer(exchange=refuse) as replacer:
        for path in paths:
            replacer.replace(path, b"new\n")
    assert all(p.read_bytes() == b"new\n" for p in paths)
    assert len(calls) == 1  # not tried again
    assert sorted(tmp_path.rglob("*.spare")) == []


def test_another_exchange_error_is_raised(tmp_path: Path) -> None:
    def denied(one: str, other: str) -> None:
        raise PermissionError(errno.EACCES, "denied")

    (path,) = _files(tmp_path, 1)
    with pytest.raises(PermissionError), FileReplacer(exchange=denied) as replacer:
        replacer.replace(path, b"new\n")
    assert sorted(tmp_path.rglob("*.spare")) == []
