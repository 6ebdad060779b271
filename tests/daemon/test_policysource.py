"""Policy sources: the git+URL#BRANCH:PATH syntax, fetching, relabelled errors, reloads."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from automation.daemon.policysource import (
    GitPolicySource,
    LocalPolicySource,
    load_if_changed,
    load_sources,
    parse_source,
)
from automation.errors import AutomationError, ConfigError, ConfigErrors, UsageError
from tests.rig.git_remotes import init_bare, seed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("policies", LocalPolicySource(Path("policies"))),
        ("git+file:///srv/p.git", GitPolicySource("file:///srv/p.git", "main", "")),
        ("git+file:///srv/p.git#prod", GitPolicySource("file:///srv/p.git", "prod", "")),
        (
            "git+https://h/fleet.git#main:clusters/prod/",
            GitPolicySource("https://h/fleet.git", "main", "clusters/prod"),
        ),
        ("git+ssh://git@h/f.git#:p", GitPolicySource("ssh://git@h/f.git", "main", "p")),
    ],
)
def test_parse_source(text: str, expected: object) -> None:
    assert parse_source(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("git+/srv/p.git", r"expected git\+SCHEME://"),
        ("git+https://u:secret@h/f.git#main", "credentials in the URL"),
        ("git+https://h/f.git#main:../etc", "inside the repository"),
    ],
)
def test_malformed_sources_are_usage_errors(text: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem) as info:
        parse_source(text)
    assert "secret" not in str(info.value)


def test_str_of_a_source_never_shows_credentials() -> None:
    source = GitPolicySource("ssh://git@h/f.git", "main", "p")
    assert str(source) == "git+ssh://h/f.git#main:p"


REPO = textwrap.dedent("""\
    apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImageRepository
    metadata: {name: app, namespace: apps}
    spec: {image: "r.example/app", interval: 5m}
    """)


def policy_repo(tmp_path: Path) -> Path:
    bare = tmp_path / "policies.git"
    bare.mkdir()
    init_bare(bare)
    seed(bare, {"team/a.yaml": REPO, "other/ignored.yaml": "not: [policy"}, "first")
    return bare


def test_git_source_loads_only_its_folder_and_records_the_commit(tmp_path: Path) -> None:
    bare = policy_repo(tmp_path)
    source = GitPolicySource(bare.as_uri(), "main", "team")
    loaded = load_sources([source], [], tmp_path / "cache")
    assert [str(k) for k in loaded.config.image_repositories] == ["apps/app"]
    sha = seed(bare, {"team/a.yaml": REPO.replace("5m", "7m")}, "second")
    again = load_sources([source], [], tmp_path / "cache")
    assert again.revisions == {str(source): sha}
    (repo,) = again.config.image_repositories.values()
    assert repo.spec.interval.total_seconds() == 420


def test_errors_name_the_source_and_file_not_the_cache(tmp_path: Path) -> None:
    bare = policy_repo(tmp_path)
    source = GitPolicySource(bare.as_uri(), "main", "other")
    with pytest.raises(ConfigErrors) as info:
        load_sources([source], [], tmp_path / "cache")
    assert str(info.value).startswith(f"git+{bare.as_uri()}#main:other/ignored.yaml:1")
    assert str(tmp_path / "cache") not in str(info.value)


def test_a_missing_folder_or_branch_is_reported(tmp_path: Path) -> None:
    bare = policy_repo(tmp_path)
    with pytest.raises(ConfigError, match="folder not found"):
        load_sources([GitPolicySource(bare.as_uri(), "main", "nope")], [], tmp_path / "c")
    with pytest.raises(AutomationError, match="branch 'nope' not found"):
        load_sources([GitPolicySource(bare.as_uri(), "nope", "")], [], tmp_path / "c")


def test_load_if_changed_skips_parsing_when_no_file_changed(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "a.yaml").write_text(REPO)
    sources = [LocalPolicySource(folder)]
    first = load_sources(sources, [], tmp_path / "c")
    assert load_if_changed(sources, [], tmp_path / "c", first) is None
    (folder / "b.yaml").write_text(REPO.replace("name: app", "name: other"))
    second = load_if_changed(sources, [], tmp_path / "c", first)
    assert second is not None and len(second.config.image_repositories) == 2
    (folder / "b.yaml").write_text(REPO.replace("name: app", "name: a-third-one"))
    third = load_if_changed(sources, [], tmp_path / "c", second)
    assert third is not None
    assert sorted(k.name for k in third.config.image_repositories) == ["a-third-one", "app"]
