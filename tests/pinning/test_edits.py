"""Which scalars are image references, and the spans a pin edits (pure, no registry)."""

from __future__ import annotations

import pytest

from automation.manifests.images import ImageSite, find_images
from automation.manifests.locate import YamlSyntaxError
from automation.pinning.edits import apply_edits, edit_for, pinned_reference

D = "sha256:" + "ab" * 32


def pin_all(text: str, digest: str = D) -> str:
    edits = [edit_for(site, digest) for site in find_images(text) if not site.problem]
    return apply_edits(text, [e for e in edits if e is not None])


def only(text: str) -> ImageSite:
    [site] = find_images(text)
    return site


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("image: r.io/a:1\n", f"image: r.io/a:1@{D}\n"),
        ("image: 'r.io/a:1'  # c\n", f"image: 'r.io/a:1@{D}'  # c\n"),
        ('image: "r.io/a:1"\n', f'image: "r.io/a:1@{D}"\n'),
        ("image: !!str r.io/a:1\n", f"image: !!str r.io/a:1@{D}\n"),
        ("image: nginx\n", f"image: nginx:latest@{D}\n"),
        ("c: [{image: r.io/a:1}]\n", f'c: [{{image: "r.io/a:1@{D}"}}]\n'),
        ("\ufeffimage: r.io/a:1\r\n", f"\ufeffimage: r.io/a:1@{D}\r\n"),
        ("image: r.io/a:1", f"image: r.io/a:1@{D}"),
    ],
)
def test_image_key_values(original: str, expected: str) -> None:
    assert pin_all(original) == expected


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        # bitnami: an existing digest key gets the digest, the tag stays.
        (
            "image:\n  repository: a/b\n  tag: 1.0\n  digest: ''\n",
            f"image:\n  repository: a/b\n  tag: 1.0\n  digest: '{D}'\n",
        ),
        (
            "image:\n  repository: a/b\n  tag: 1.0\n  digest:\n",
            f"image:\n  repository: a/b\n  tag: 1.0\n  digest: {D}\n",
        ),
        (
            "image:\n  repository: a/b\n  tag: 1.0\n  digest: ~ # none yet\n",
            f"image:\n  repository: a/b\n  tag: 1.0\n  digest: {D} # none yet\n",
        ),
        # no digest key: the tag becomes tag@digest
        (
            'image: {registry: r.io, repository: a/b, tag: "2"}\n',
            f'image: {{registry: r.io, repository: a/b, tag: "2@{D}"}}\n',
        ),
    ],
)
def test_helm_split_form(original: str, expected: str) -> None:
    assert pin_all(original) == expected


def test_helm_reference_joins_registry_repository_and_tag() -> None:
    site = only("image:\n  registry: r.io\n  repository: a/b\n  tag: '1.2'\n  pullPolicy: X\n")
    assert (site.kind, site.reference, site.line) == ("helm", "r.io/a/b:1.2", 4)
    pinned = only(f"image:\n  repository: a/b\n  tag: 1.2\n  digest: {D}\n")
    assert (pinned.reference, pinned.pinned) == (f"a/b:1.2@{D}", D)
    in_tag = only(f"image:\n  repository: a/b\n  tag: 1.2@{D}\n")
    assert in_tag.pinned == D


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        (
            "kind: Kustomization\nimages:\n- name: a\n  newTag: '1'\n- name: b\n",
            f"kind: Kustomization\nimages:\n- name: a\n  newTag: '1'\n  digest: {D}\n- name: b\n",
        ),
        (  # last line without a newline; CRLF file
            "kind: Kustomization\r\nimages:\r\n  - name: a\r\n    newTag: v1",
            f"kind: Kustomization\r\nimages:\r\n  - name: a\r\n    newTag: v1\r\n    digest: {D}",
        ),
        (  # Flux's Kustomization keeps images under spec
            "kind: Kustomization\nspec:\n  images:\n  - {name: a, newTag: v1}\n",
            f'kind: Kustomization\nspec:\n  images:\n  - {{name: a, newTag: v1, digest: "{D}"}}\n',
        ),
        (  # comment after the last key stays on its line
            "kind: Kustomization\nimages:\n- name: a\n  newTag: v1 # pin me\n  # note\n",
            f"kind: Kustomization\nimages:\n- name: a\n  newTag: v1 # pin me\n  digest: {D}\n"
            "  # note\n",
        ),
        (  # no newTag: skipped; not a Kustomization: ignored
            "kind: Kustomization\nimages:\n- name: a\n---\nimages:\n- name: b\n  newTag: '1'\n",
            "kind: Kustomization\nimages:\n- name: a\n---\nimages:\n- name: b\n  newTag: '1'\n",
        ),
    ],
)
def test_kustomize_images(original: str, expected: str) -> None:
    assert pin_all(original) == expected


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


def test_pinned_reference_display() -> None:
    assert pinned_reference("nginx", D) == f"nginx:latest@{D}"
    assert pinned_reference(f"r.io/a:1@{D}", D) == f"r.io/a:1@{D}"


def test_unchanged_value_gives_no_edit() -> None:
    site = only("image:\n  repository: a/b\n  tag: '1'\n  digest: ''\n")
    edit = edit_for(site, D)
    assert edit is not None and edit.replacement == f"'{D}'"


def test_flux_image_repositories_are_not_pinned() -> None:
    text = (
        "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\n"
        "spec:\n  image: ghcr.io/org/app\n---\nimage: ghcr.io/org/app:1\n"
    )
    assert [(s.reference, s.line) for s in find_images(text)] == [("ghcr.io/org/app:1", 6)]
