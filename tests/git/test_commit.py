"""Staging refuses a symlink: an edit written through a link must be staged at its target."""

from __future__ import annotations

import os
from pathlib import Path

import pygit2
import pytest

from automation.errors import StalledError
from automation.git.commit import Author, create_commit
from tests.rig.git_remotes import git


def test_a_symlink_in_the_change_set_is_refused_not_silently_committed_as_nothing(
    tmp_path: Path,
) -> None:
    git("init", "--quiet", str(tmp_path))
    (tmp_path / "real.yaml").write_text("image: a:1\n")
    os.symlink("real.yaml", tmp_path / "link.yaml")
    git("add", "-A", cwd=tmp_path)
    git("commit", "--quiet", "-m", "seed", cwd=tmp_path)
    (tmp_path / "real.yaml").write_text("image: a:2\n")
    repo = pygit2.Repository(str(tmp_path))
    author = Author("bot", "bot@example.com")
    with pytest.raises(StalledError, match=r"link\.yaml is a symlink"):
        create_commit(repo, "HEAD", ["link.yaml"], "bump", author)
    assert create_commit(repo, "HEAD", ["real.yaml"], "bump", author) is not None
