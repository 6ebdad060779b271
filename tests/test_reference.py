"""Docker-style image names: canonical form, API host, and errors that name the input."""

from __future__ import annotations

import pytest

from automation.errors import RegistryPermanentError, StalledError
from automation.reference import (
    InvalidImageNameError,
    LatestRef,
    parse_reference,
    parse_repository,
)

HEX = "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("spec_image", "canonical", "api_host"),
    [
        ("alpine", "index.docker.io/library/alpine", "registry-1.docker.io"),
        ("docker.io/alpine", "index.docker.io/library/alpine", "registry-1.docker.io"),
        (
            "index.docker.io/library/alpine",
            "index.docker.io/library/alpine",
            "registry-1.docker.io",
        ),
        ("fluxcd/flux", "index.docker.io/fluxcd/flux", "registry-1.docker.io"),
        ("ghcr.io/org/app", "ghcr.io/org/app", "ghcr.io"),
        ("host:5000/x", "host:5000/x", "host:5000"),
        ("localhost/a/b/c", "localhost/a/b/c", "localhost"),
        ("127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app", "127.0.0.1:5000"),
        ("[::1]:5000/x", "[::1]:5000/x", "[::1]:5000"),
        ("reg.example.com/a__b/c-d/e.f", "reg.example.com/a__b/c-d/e.f", "reg.example.com"),
    ],
)
def test_parse_repository_canonicalises_like_docker(
    spec_image: str, canonical: str, api_host: str
) -> None:
    name = parse_repository(spec_image)
    assert name.canonical == canonical
    assert name.registry_host == api_host
    assert name.original == spec_image


@pytest.mark.parametrize(
    ("spec_image", "reason"),
    [
        ("https://ghcr.io/org/app", "must not start with a URL scheme"),
        ("oci://ghcr.io/org/app", "must not start with a URL scheme"),
        ("alpine:3.19", "must not contain a tag (':3.19')"),
        ("host:5000/x:v1", "must not contain a tag"),
        (f"alpine@sha256:{HEX}", "must not contain a digest"),
        ("Alpine", "must be lower-case"),
        ("ghcr.io/Org/app", "must be lower-case"),
        ("a//b", "invalid path component ''"),
        ("a/-b", "invalid path component '-b'"),
        ("", "empty"),
        (" alpine", "whitespace"),
        (HEX, "64-character hex"),
        ("x" * 256, "longer than 255"),
        ("alpine@sha256:abc", "invalid digest"),
        ("alpine:-bad", "invalid tag"),
    ],
)
def test_invalid_spec_image_is_a_stalled_error_naming_the_input(
    spec_image: str, reason: str
) -> None:
    with pytest.raises(InvalidImageNameError) as caught:
        parse_repository(spec_image)
    assert isinstance(caught.value, StalledError)
    assert isinstance(caught.value, RegistryPermanentError)
    assert reason in str(caught.value)
    assert repr(spec_image) in str(caught.value)


@pytest.mark.parametrize(
    ("text", "canonical", "tag", "digest", "pull_tag"),
    [
        ("alpine", "index.docker.io/library/alpine", "", "", "latest"),
        ("alpine:3.19", "index.docker.io/library/alpine", "3.19", "", "3.19"),
        ("host:5000/x", "host:5000/x", "", "", "latest"),
        ("host:5000/x:1.0", "host:5000/x", "1.0", "", "1.0"),
        (f"x/y@sha256:{HEX}", "index.docker.io/x/y", "", f"sha256:{HEX}", ""),
        (f"host:5000/x:v1@sha256:{HEX}", "host:5000/x", "v1", f"sha256:{HEX}", "v1"),
    ],
)
def test_parse_reference(text: str, canonical: str, tag: str, digest: str, pull_tag: str) -> None:
    ref = parse_reference(text)
    assert (ref.name.canonical, ref.tag, ref.digest, ref.tag_or_default) == (
        canonical,
        tag,
        digest,
        pull_tag,
    )
    again = parse_reference(str(ref))  # the string form parses back to the same parts
    assert (again.name.canonical, again.tag, again.digest) == (canonical, tag, digest)


def test_latest_ref_is_unchanged() -> None:
    assert str(LatestRef("ghcr.io/a", "1.0")) == "ghcr.io/a:1.0"
    assert str(LatestRef("a", "1", "sha256:x")) == "a:1@sha256:x"
    assert LatestRef("a", "1").to_dict() == {"name": "a", "tag": "1"}
