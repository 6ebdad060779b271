from __future__ import annotations

import os
from pathlib import Path

import pytest

from automation.errors import ManifestError
from automation.manifests.walk import ManifestFile, ProblemFile, rebase_pattern, screened_files

MARKED = 'image: nginx:1.0 # {"$imagepolicy": "apps:p"}\n'


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def found(root: Path, update_path: str = ".") -> list[str]:
    return [f.path for f in screened_files(root, update_path) if isinstance(f, ManifestFile)]


def test_names_screening_and_git_dir(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": MARKED,
            "b.yml": MARKED,
            "sub/Kustomization": MARKED,
            "sub/kustomization": MARKED,  # only the exact name Kustomization
            "c.json": MARKED,
            "d.yaml.tpl": MARKED,
            "unmarked.yaml": "image: nginx:1.0 # {'$imagepolicy': 'x'}\n",
            ".git/config.yaml": MARKED,
            ".hidden/e.yaml": MARKED,
        },
    )
    assert sorted(found(tmp_path)) == [".hidden/e.yaml", "a.yaml", "b.yml", "sub/Kustomization"]


def test_update_path_limits_the_walk(tmp_path: Path) -> None:
    write(tmp_path, {"yes/a.yaml": MARKED, "no/a.yaml": MARKED})
    assert found(tmp_path, "yes") == ["yes/a.yaml"]
    assert found(tmp_path, "./yes/a.yaml") == ["yes/a.yaml"]


def test_git_repository_ignore_adds_root_relative_lines(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".sourceignore": "*.tmpl.yaml\n",
            "apps/a.yaml": MARKED,
            "apps/b.tmpl.yaml": MARKED,
            "apps/keep.tmpl.yaml": MARKED,
            "vendor/x.yaml": MARKED,
        },
    )
    # spec.ignore comes after the repository's own lines, so it may re-include.
    extra = "# from spec.ignore\n/vendor/\n!apps/keep.tmpl.yaml\n"
    found_ = [f.path for f in screened_files(tmp_path, ".", extra) if isinstance(f, ManifestFile)]
    assert sorted(found_) == ["apps/a.yaml", "apps/keep.tmpl.yaml"]


@pytest.mark.parametrize(
    ("update_path", "message"),
    [
        ("../outside", "outside the repository"),
        ("/etc", "must be relative"),
        ("missing", "does not exist"),
    ],
)
def test_update_path_refused(tmp_path: Path, update_path: str, message: str) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "outside").mkdir()
    with pytest.raises(ManifestError, match=message):
        list(screened_files(repo, update_path))


def test_update_path_symlink_escaping_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", repo / "link")
    with pytest.raises(ManifestError, match="outside the repository"):
        list(screened_files(repo, "link"))


def test_symlinked_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write(repo, {"real/a.yaml": MARKED})
    write(tmp_path, {"secret.yaml": MARKED})
    os.symlink("real/a.yaml", repo / "inside.yaml")
    os.symlink(tmp_path / "secret.yaml", repo / "escape.yaml")
    os.symlink("testing.yaml", repo / "dangling.yaml")
    items = list(screened_files(repo, "."))
    files = {i.path: i for i in items if isinstance(i, ManifestFile)}
    problems = [i for i in items if isinstance(i, ProblemFile)]
    # The link is handed on as its target (what is written must be what is staged), once.
    assert [i.path for i in items if isinstance(i, ManifestFile)] == ["real/a.yaml"]
    assert files["real/a.yaml"].real == (repo / "real/a.yaml").resolve()
    assert [(p.path, "outside the repository" in p.message) for p in problems] == [
        ("escape.yaml", True)
    ]


def test_a_symlink_into_dot_git_is_refused(tmp_path: Path) -> None:
    write(tmp_path, {".git/hooks/pre-push": MARKED, "a.yaml": MARKED})
    os.symlink(".git/hooks/pre-push", tmp_path / "hook.yaml")
    items = list(screened_files(tmp_path, "."))
    assert [i.path for i in items if isinstance(i, ManifestFile)] == ["a.yaml"]
    assert [str(i) for i in items if isinstance(i, ProblemFile)] == [
        "hook.yaml: symlink leads into .git"
    ]


def test_symlinked_directories_are_not_walked(tmp_path: Path) -> None:
    write(tmp_path, {"real/a.yaml": MARKED})
    os.symlink(tmp_path / "real", tmp_path / "alias")
    assert found(tmp_path) == ["real/a.yaml"]


def test_sourceignore_rules(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".sourceignore": "# comment\nskipped/\n*.tmpl.yaml\n!keep.tmpl.yaml\n",
            "skipped/a.yaml": MARKED,
            "apps/a.yaml": MARKED,
            "apps/a.tmpl.yaml": MARKED,
            "apps/keep.tmpl.yaml": MARKED,
            "apps/.sourceignore": "local.yaml\n/anchored.yaml\n",
            "apps/local.yaml": MARKED,
            "apps/deep/local.yaml": MARKED,
            "apps/anchored.yaml": MARKED,
            "apps/deep/anchored.yaml": MARKED,
            "other/local.yaml": MARKED,
        },
    )
    assert sorted(found(tmp_path)) == [
        "apps/a.yaml",
        "apps/deep/anchored.yaml",
        "apps/keep.tmpl.yaml",
        "other/local.yaml",
    ]
    # ignore files above update.path apply too
    assert sorted(found(tmp_path, "apps")) == [
        "apps/a.yaml",
        "apps/deep/anchored.yaml",
        "apps/keep.tmpl.yaml",
    ]


@pytest.mark.parametrize(
    ("line", "base", "expected"),
    [
        ("foo", "", "foo"),
        ("foo", "a/b", "a/b/**/foo"),
        ("/foo", "a", "a/foo"),
        ("x/foo", "a", "a/x/foo"),
        ("!foo", "a", "!a/**/foo"),
        ("dir/", "a", "a/**/dir/"),
        ("# c", "a", None),
        ("  ", "a", None),
    ],
)
def test_rebase_pattern(line: str, base: str, expected: str | None) -> None:
    assert rebase_pattern(line, base) == expected
