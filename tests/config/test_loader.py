"""Loading policy files: kinds, defaults, multi-document files, and errors with file:line: field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from automation.config import ObjectKey, load_config
from automation.errors import ConfigErrors

REPO = """
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
  namespace: team
spec:
  image: ghcr.io/org/app
  interval: 1h30m
"""


def errors_of(paths: list[Path]) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_config(paths)
    return [str(e) for e in info.value.errors]


def test_image_repository_defaults(write: Callable[..., Path]) -> None:
    path = write("repo.yaml", REPO)
    repo = load_config([path]).image_repositories[ObjectKey("team", "app")]
    assert repo.spec.interval == timedelta(hours=1, minutes=30)
    assert repo.spec.effective_exclusion_list == ["^.*\\.sig$"]
    assert repo.spec.effective_timeout == timedelta(hours=1, minutes=30)
    assert repo.spec.provider == "generic" and not repo.spec.insecure and not repo.spec.suspend
    assert repo.source.file == str(path) and repo.source.line == 1


def test_user_exclusion_list_replaces_the_default(write: Callable[..., Path]) -> None:
    path = write("repo.yaml", REPO + "  exclusionList: ['^.*-alpha$']\n")
    repo = load_config([path]).image_repositories[ObjectKey("team", "app")]
    assert repo.spec.effective_exclusion_list == ["^.*-alpha$"]


def test_namespace_defaults_to_default(write: Callable[..., Path]) -> None:
    path = write("repo.yaml", REPO.replace("  namespace: team\n", ""))
    assert ObjectKey("default", "app") in load_config([path]).image_repositories


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("https://ghcr.io/org/app", "must not contain a scheme"),
        ("ghcr.io/org/app:1.0", "must not contain a tag"),
        ("alpine:3", "must not contain a tag"),
        ("ghcr.io/org/app@sha256:" + "a" * 64, "must not contain a digest"),
    ],
)
def test_image_with_scheme_tag_or_digest_is_rejected(
    write: Callable[..., Path], image: str, expected: str
) -> None:
    path = write("repo.yaml", REPO.replace("ghcr.io/org/app", image))
    (error,) = errors_of([path])
    assert error.startswith(f"{path}:7: spec.image: ")
    assert expected in error


def test_registry_with_port_is_an_image_not_a_tag(write: Callable[..., Path]) -> None:
    path = write("repo.yaml", REPO.replace("ghcr.io/org/app", "localhost:5000/app"))
    assert load_config([path]).image_repositories[ObjectKey("team", "app")].spec.image


def test_timeout_rejects_hours_like_flux(write: Callable[..., Path]) -> None:
    path = write("repo.yaml", REPO + "  timeout: 1h\n")
    (error,) = errors_of([path])
    assert f"{path}:9: spec.timeout: invalid duration '1h'" in error


def test_unknown_field_is_an_error_naming_file_line_and_path(write: Callable[..., Path]) -> None:
    path = write("repo.yaml", REPO + "  exclusionLsit: []\n")
    (error,) = errors_of([path])
    assert error.startswith(f"{path}:9: spec.exclusionLsit: unknown field")
    assert error.endswith("(in ImageRepository app at line 1)")


def test_multi_document_files_and_directories(write: Callable[..., Path], tmp_path: Path) -> None:
    write("a/repos.yaml", REPO + "---\n" + REPO.replace("name: app", "name: other"))
    write("a/b/more.yml", REPO.replace("name: app", "name: third"))
    write("a/ignored.txt", "not yaml")
    write("a/.git/config.yaml", "apiVersion: v1\nkind: Broken\n: :")
    write(
        "a/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {}\n",
    )
    config = load_config([tmp_path / "a"])
    assert sorted(str(k) for k in config.image_repositories) == [
        "team/app",
        "team/other",
        "team/third",
    ]
    assert config.image_repositories[ObjectKey("team", "other")].source.line == 11


def test_duplicate_names_name_both_places(write: Callable[..., Path]) -> None:
    a = write("a.yaml", REPO)
    b = write("b.yaml", "# leading comment\n" + REPO)
    (error,) = errors_of([a, b])
    assert error.startswith(f"{b}:3: metadata.name: duplicate ImageRepository team/app")
    assert f"first defined at {a}:1" in error


def test_unknown_kind_in_our_group_is_a_typo_error(write: Callable[..., Path]) -> None:
    path = write("x.yaml", REPO.replace("kind: ImageRepository", "kind: ImageRepo"))
    (error,) = errors_of([path])
    assert f"{path}:2: kind: unknown kind 'ImageRepo'" in error


def test_unsupported_api_version(write: Callable[..., Path]) -> None:
    path = write("x.yaml", REPO.replace("/v1\n", "/v1alpha1\n"))
    (error,) = errors_of([path])
    assert f"{path}:1: apiVersion: unsupported version" in error


def test_v1beta2_is_accepted(write: Callable[..., Path]) -> None:
    path = write("x.yaml", REPO.replace("/v1\n", "/v1beta2\n"))
    assert load_config([path]).image_repositories


def test_invalid_yaml_names_the_parser_line(write: Callable[..., Path]) -> None:
    path = write("x.yaml", REPO + "  bad: [unclosed\n")
    (error,) = errors_of([path])
    assert error.startswith(f"{path}:") and "invalid YAML" in error


def test_wrong_scalar_types_are_errors_not_coerced(write: Callable[..., Path]) -> None:
    path = write("x.yaml", REPO + "  suspend: yes\n  insecure: 1\n")
    errors = errors_of([path])
    assert [e.split(": ")[1] for e in errors] == ["spec.suspend", "spec.insecure"]


def test_missing_path_is_reported(tmp_path: Path) -> None:
    (error,) = errors_of([tmp_path / "nope"])
    assert "no such file or directory" in error


def test_every_error_in_a_run_is_reported(write: Callable[..., Path]) -> None:
    a = write("a.yaml", REPO + "  interval2: 5m\n")
    b = write("b.yaml", REPO.replace("interval: 1h30m", "interval: soon"))
    errors = errors_of([a, b])
    assert len(errors) == 2
    assert errors[0].startswith(f"{a}:9:") and errors[1].startswith(f"{b}:8:")
