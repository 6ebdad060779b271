"""The spans a pin edits and what it writes there (pure, no registry)."""

from __future__ import annotations

import pytest

from automation.manifests.images import find_images
from automation.pinning.edits import apply_edits, edit_for, pinned_reference
from tests.manifests.test_images import only

D = "sha256:" + "ab" * 32


def pin_all(text: str, digest: str = D) -> str:
    edits = [edit_for(site, digest) for site in find_images(text) if not site.problem]
    return apply_edits(text, [e for e in edits if e is not None])


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


def test_pinned_reference_display() -> None:
    assert pinned_reference("nginx", D) == f"nginx:latest@{D}"
    assert pinned_reference(f"r.io/a:1@{D}", D) == f"r.io/a:1@{D}"


def test_unchanged_value_gives_no_edit() -> None:
    site = only("image:\n  repository: a/b\n  tag: '1'\n  digest: ''\n")
    edit = edit_for(site, D)
    assert edit is not None and edit.replacement == f"'{D}'"
