"""Repository names read from each sender's payload; tags and digests dropped."""

from __future__ import annotations

import json

import pytest

from automation.server import PayloadError, images_in
from tests.server.conftest import payload


def load(name: str) -> object:
    return json.loads(payload(name))


@pytest.mark.parametrize(
    ("kind", "event", "name", "expected"),
    [
        ("dockerhub", "", "dockerhub.json", {"index.docker.io/myorg/app"}),
        ("quay", "", "quay.json", {"quay.io/myorg/app"}),
        ("harbor", "PUSH_ARTIFACT", "harbor.json", {"harbor.example.com/team/app"}),
        ("github", "package", "github_package.json", {"ghcr.io/octo-org/hello-world"}),
        ("github", "package", "github_npm_package.json", set()),
    ],
)
def test_sender_payloads(kind: str, event: str, name: str, expected: set[str]) -> None:
    assert images_in(kind, event, load(name)) == expected


def test_harbor_lists_every_resource_and_drops_digests() -> None:
    data = {
        "type": "PUSH_ARTIFACT",
        "event_data": {
            "resources": [
                {"resource_url": "harbor.example.com:8443/team/app@sha256:" + "b" * 64},
                {"resource_url": "harbor.example.com:8443/team/sidecar:2"},
            ]
        },
    }
    assert images_in("harbor", "PUSH_ARTIFACT", data) == {
        "harbor.example.com:8443/team/app",
        "harbor.example.com:8443/team/sidecar",
    }


def test_github_name_from_owner_and_registry_when_no_url() -> None:
    package = {
        "name": "Hello-World",
        "package_type": "container",
        "owner": {"login": "Octo-Org"},
        "registry": {"url": "https://ghcr.io/octo-org"},
    }
    assert images_in("github", "package", {"package": package}) == {"ghcr.io/octo-org/hello-world"}
    package["registry"] = None
    assert images_in("github", "registry_package", {"registry_package": package}) == {
        "ghcr.io/octo-org/hello-world"
    }


def test_generic_forms() -> None:
    assert images_in("generic", "", {}) == set()
    assert images_in("generic-hmac", "", {"image": "alpine:3.19"}) == {
        "index.docker.io/library/alpine"
    }
    assert images_in("generic", "", {"image": "a/b", "images": ["c.io/d", "a/b"]}) == {
        "index.docker.io/a/b",
        "c.io/d",
    }


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("dockerhub", [], "the body is not a JSON object"),
        ("dockerhub", {"repository": {"repo_name": 7}}, "repository.repo_name is missing"),
        ("dockerhub", {"repository": "x"}, "repository.repo_name is missing"),
        ("quay", {"docker_url": "https://quay.io/a/b"}, "docker_url is not an image name"),
        ("harbor", {"event_data": {"resources": []}}, "event_data.resources is missing"),
        (
            "harbor",
            {"event_data": {"resources": [{"resource_url": "h.example.com/team/App:1"}]}},
            "event_data.resources[0].resource_url is not an image name",
        ),
        ("github", {}, "package is missing"),
        ("github", {"package": {"package_type": "container"}}, "package.name or"),
        ("generic", {"images": "alpine"}, "images is not a list"),
        ("generic", {"images": ["ok", ""]}, "images[1] is missing"),
    ],
)
def test_bad_shapes_name_the_field(kind: str, data: object, message: str) -> None:
    with pytest.raises(PayloadError) as err:
        images_in(kind, "package", data)
    assert str(err.value).startswith(message)
