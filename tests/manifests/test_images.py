"""Which scalars are image references: plain, Helm's split form, Kustomize's `images` (pure)."""

from __future__ import annotations

import pytest

from automation.manifests.images import ImageSite, find_images
from automation.manifests.locate import YamlSyntaxError

D = "sha256:" + "ab" * 32


def only(text: str) -> ImageSite:
    [site] = find_images(text)
    return site


def test_helm_reference_joins_registry_repository_and_tag() -> None:
    site = only("image:\n  registry: r.io\n  repository: a/b\n  tag: '1.2'\n  pullPolicy: X\n")
    assert (site.kind, site.reference, site.line) == ("helm", "r.io/a/b:1.2", 4)
    pinned = only(f"image:\n  repository: a/b\n  tag: 1.2\n  digest: {D}\n")
    assert (pinned.reference, pinned.pinned) == (f"a/b:1.2@{D}", D)
    in_tag = only(f"image:\n  repository: a/b\n  tag: 1.2@{D}\n")
    assert in_tag.pinned == D


def test_kustomize_reference_prefers_new_name() -> None:
    site = only("kind: Kustomization\nimages:\n- name: a\n  newName: r.io/x\n  newTag: '3'\n")
    assert (site.kind, site.reference, site.line) == ("kustomize", "r.io/x:3", 3)
    assert site.insertion is not None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('image: "{{ .Values.image }}"\n', "templated value, not resolved"),
        ("image: ${IMAGE}\n", "templated value, not resolved"),
        ('image: ""\n', "empty value"),
        ("image:\n", "empty value"),
        ("image: |\n  r.io/a:1\n", "block scalar, not rewritten"),
        ("image: {repository: a/b}\n", "no tag to resolve"),
        ("a: &x r.io/a:1\nimage: *x\n", "alias, pin the anchored value instead"),
        ("a: &x {repository: a/b, tag: '1'}\nimage: *x\n", "alias, pin the anchored value instead"),
    ],
)
def test_problems_are_reported_not_edited(text: str, problem: str) -> None:
    site = only(text)
    assert site.problem == problem
    assert site.target is None and site.insertion is None


def test_mappings_without_repository_are_walked_not_taken() -> None:
    text = "image:\n  type: string\n  nested:\n    image: r.io/a:1\n"
    assert [s.reference for s in find_images(text)] == ["r.io/a:1"]


def test_lines_count_documents_and_crlf() -> None:
    text = "a: 1\r\n---\r\nspec:\r\n  image: r.io/a:1\r\n"
    assert only(text).line == 4


def test_syntax_error_names_line() -> None:
    with pytest.raises(YamlSyntaxError) as info:
        find_images("a: 1\nb: [\n")
    assert info.value.line == 3


def test_flux_image_repositories_are_not_pinned() -> None:
    text = (
        "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\n"
        "spec:\n  image: ghcr.io/org/app\n---\nimage: ghcr.io/org/app:1\n"
    )
    assert [(s.reference, s.line) for s in find_images(text)] == [("ghcr.io/org/app:1", 6)]
