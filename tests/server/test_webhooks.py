"""Deciding one call without HTTP: which ImageRepositories a receiver may and does trigger."""

from __future__ import annotations

import json

from automation.config.image import ImageRepository
from automation.server import handle, match_repositories
from tests.server.conftest import endpoints_for, payload, receiver

QUAY_APP = frozenset({"quay.io/myorg/app"})


def test_wildcard_resource_limits_to_its_namespace(
    repositories: dict[str, ImageRepository],
) -> None:
    hook = receiver("r", "generic", "team", resources=[{"kind": "ImageRepository", "name": "*"}])
    assert match_repositories(hook, frozenset(), repositories) == {"team/ghcr-app"}
    assert match_repositories(hook, QUAY_APP, repositories) == frozenset()


def test_resources_in_another_namespace_and_payload_intersection(
    repositories: dict[str, ImageRepository],
) -> None:
    resources = [
        {"kind": "ImageRepository", "name": "quay-app", "namespace": "default"},
        {"kind": "ImageRepository", "name": "paused", "namespace": "default"},
        {"kind": "ImageRepository", "name": "alpine"},  # team/alpine does not exist
    ]
    hook = receiver("r", "quay", "team", resources=resources)
    assert match_repositories(hook, QUAY_APP, repositories) == {"default/quay-app"}
    assert match_repositories(hook, frozenset(), repositories) == {"default/quay-app"}


def test_without_resources_every_namespace_matches_by_name(
    repositories: dict[str, ImageRepository],
) -> None:
    hook = receiver("r", "quay", "elsewhere")
    names = frozenset({"index.docker.io/myorg/app", "ghcr.io/octo-org/hello-world"})
    assert match_repositories(hook, names, repositories) == {
        "default/app",
        "default/app-mirror",
        "team/ghcr-app",
    }
    assert match_repositories(hook, frozenset(), repositories) is None


def test_harbor_delete_triggers_and_custom_events_replace_defaults(
    repositories: dict[str, ImageRepository],
) -> None:
    body = json.loads(payload("harbor.json"))
    body["type"] = "DELETE_ARTIFACT"
    data = json.dumps(body).encode()
    auth = {"authorization": "token-of-h"}
    (default,) = endpoints_for([receiver("h", "harbor")])
    assert handle(default, auth, data, repositories).status == 202
    (push_only,) = endpoints_for([receiver("h", "harbor", events=["PUSH_ARTIFACT"])])
    ignored = handle(push_only, auth, data, repositories)
    assert (ignored.status, ignored.message) == (200, "event 'DELETE_ARTIFACT' ignored")
    assert ignored.repositories == frozenset()


def test_result_carries_receiver_identity_not_secrets(
    repositories: dict[str, ImageRepository],
) -> None:
    (endpoint,) = endpoints_for([receiver("q", "quay", "team")])
    result = handle(endpoint, {}, payload("quay.json"), repositories)
    assert (result.status, result.receiver, result.receiver_type) == (202, "team/q", "quay")
    assert result.repositories == {"default/quay-app"}
    assert "token" not in repr(result)


def test_authentication_comes_before_anything_is_revealed(
    repositories: dict[str, ImageRepository],
) -> None:
    (paused,) = endpoints_for([receiver("s", "generic-hmac", suspend=True)])
    assert handle(paused, {}, b"[]", repositories).status == 401  # not 503, not 400
    (harbor,) = endpoints_for([receiver("h", "harbor")])
    assert handle(harbor, {}, b"not json", repositories).status == 401
    listed = handle(harbor, {"authorization": "token-of-h"}, b"[]", repositories)
    assert (listed.status, listed.message) == (400, "the body is not a JSON object")
