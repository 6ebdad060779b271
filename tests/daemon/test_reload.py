"""Reloading the policy sources: keep the last good config while the new one is broken."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from automation.daemon.policysource import GitPolicySource, LocalPolicySource, load_sources
from automation.daemon.reload import ConfigReloader, policy_cache
from tests.daemon.test_policysource import REPO, policy_repo
from tests.rig.git_remotes import seed


def test_reloader_keeps_the_last_good_config_and_logs_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bare = policy_repo(tmp_path)
    source = GitPolicySource(bare.as_uri(), "main", "team")
    first = load_sources([source], [], policy_cache(tmp_path))
    reloader = ConfigReloader([source], [], tmp_path, first)
    assert reloader.reload() is None  # nothing changed

    seed(bare, {"team/a.yaml": "kind: [broken\n"}, "broken")
    with caplog.at_level(logging.ERROR):
        assert reloader.reload() is None
        assert reloader.reload() is None
    failures = [r for r in caplog.records if "keeping the last good config" in r.getMessage()]
    assert len(failures) == 1 and "#main:team/a.yaml:2: invalid YAML" in failures[0].getMessage()
    assert "team/a.yaml:2" in reloader.last_error

    seed(bare, {"team/a.yaml": REPO.replace("5m", "9m")}, "fixed")
    fresh = reloader.reload()
    assert fresh is not None and reloader.last_error == ""
    assert [r.spec.interval.total_seconds() for r in fresh.image_repositories.values()] == [540]


def test_a_changed_local_file_is_a_new_config_and_an_equal_one_is_not(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "a.yaml").write_text(REPO)
    sources = [LocalPolicySource(folder)]
    reloader = ConfigReloader(sources, [], tmp_path, load_sources(sources, [], tmp_path / "c"))
    (folder / "a.yaml").write_text(REPO + "\n")  # other bytes, the same objects
    assert reloader.reload() is None
    (folder / "a.yaml").write_text(REPO.replace("5m", "7m"))
    fresh = reloader.reload()
    assert fresh is not None and reloader.current.config == fresh
    assert reloader.cache == policy_cache(tmp_path) == tmp_path / "policy-sources"
