"""ImageSet contents (pure): the image list format and each entry's image name."""

from __future__ import annotations

import pytest

from automation.pinning.imageset import ImageEntry, parse_image_list
from automation.reference import parse_reference


def test_image_list_parsing() -> None:
    lines = ["# header", "", "  a:1  ", "b:2 # trailing", "   # indented comment"]
    assert parse_image_list(lines, "f") == ["a:1", "b:2"]
    with pytest.raises(Exception, match=r"f:1: expected one IMAGE:TAG per line"):
        parse_image_list(["a:1 b:2"], "f")


@pytest.mark.parametrize(
    ("text", "image"),
    [
        ("quay.io/tigera/operator:v1.32.0", "tigera/operator"),
        ("docker.io/calico/node:v3.27.0", "calico/node"),
        ("calico/node:v3.27.0", "calico/node"),
        ("nginx:1.25", "nginx"),
        ("docker.io/library/nginx:1.25", "library/nginx"),
        ("localhost:5000/a/b:1", "a/b"),
    ],
)
def test_imageset_image_is_the_name_without_registry(text: str, image: str) -> None:
    assert ImageEntry(text, parse_reference(text), "sha256:" + "a" * 64).image == image
