"""Receivers paired with their tokens, their paths, and the Receiver model's validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from automation.config.base import ObjectKey, SourceLocation
from automation.config.receiver import Receiver
from automation.errors import ConfigErrors
from automation.server import resolve_endpoints, webhook_path
from automation.server.receivers import find_endpoint
from tests.server.conftest import endpoints_for, receiver, secret


def test_path_is_fluxs_digest_of_token_name_namespace() -> None:
    # printf '%s' 's3cr3tdockerhubdefault' | sha256sum
    expected = "1df4bb376eaeb08de8096dc79b21c0060be5e466bb92f8b8b7d575d6a01331db"
    assert webhook_path(b"s3cr3t", "dockerhub", "default") == "/hook/" + expected


def test_find_endpoint_by_path_only() -> None:
    endpoints = endpoints_for([receiver("a", "quay"), receiver("b", "quay", "team")])
    assert find_endpoint(endpoints, endpoints[1].path) is endpoints[1]
    assert find_endpoint(endpoints, endpoints[1].path.upper()) is None
    assert find_endpoint(endpoints, webhook_path(b"token-of-b", "b", "default")) is None


def test_missing_secret_or_token_names_the_receiver_file_and_line() -> None:
    first = receiver("a", "quay").located(SourceLocation("hooks.yaml", 3))
    second = receiver("b", "quay").located(SourceLocation("hooks.yaml", 14))
    empty = secret("b-token", "")
    with pytest.raises(ConfigErrors) as err:
        resolve_endpoints([first, second], {ObjectKey("default", "b-token"): empty})
    assert [str(e) for e in err.value.errors] == [
        "hooks.yaml:3: spec.secretRef: Secret default/a-token not found "
        "(give the secrets path with --secrets)",
        "hooks.yaml:14: spec.secretRef: Secret default/b-token has no non-empty 'token' key",
    ]


def test_secret_is_looked_up_in_the_receivers_namespace() -> None:
    hook = receiver("a", "quay", "team")
    with pytest.raises(ConfigErrors):
        resolve_endpoints([hook], {ObjectKey("default", "a-token"): secret("a-token", "t")})


def test_endpoint_repr_hides_the_token() -> None:
    (endpoint,) = endpoints_for([receiver("a", "quay")])
    assert "token-of-a" not in repr(endpoint)
    assert endpoint.path[len("/hook/") :] not in repr(endpoint)


def test_receiver_yaml_shape() -> None:
    hook = Receiver.model_validate(
        {
            "apiVersion": "notification.toolkit.fluxcd.io/v1",
            "kind": "Receiver",
            "metadata": {"name": "ghcr", "namespace": "apps"},
            "spec": {
                "type": "github",
                "interval": "10m",
                "events": ["package"],
                "secretRef": {"name": "webhook-token"},
                "resources": [
                    {
                        "apiVersion": "image.toolkit.fluxcd.io/v1",
                        "kind": "ImageRepository",
                        "name": "*",
                    },
                    {"kind": "ImageRepository", "name": "app", "namespace": "other"},
                ],
            },
        },
        strict=True,
    )
    assert hook.spec.effective_events == ("package",)
    assert [hook.resource_namespace(r) for r in hook.spec.resources] == ["apps", "other"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "gitlab"}, "Input should be 'dockerhub', 'quay', 'harbor', 'github'"),
        ({"type": "quay", "events": ["push"]}, "spec.events filters github and harbor events"),
        (
            {"type": "quay", "resources": [{"kind": "GitRepository", "name": "a"}]},
            "Input should be 'ImageRepository'",
        ),
        (
            {"type": "quay", "resources": [{"kind": "ImageRepository", "name": "A*"}]},
            "invalid name 'A*'",
        ),
        ({"type": "quay", "secretRef": {"name": "s"}, "token": "x"}, "Extra inputs"),
    ],
)
def test_receiver_validation_errors(spec: dict[str, object], message: str) -> None:
    data = {
        "apiVersion": "notification.toolkit.fluxcd.io/v1",
        "kind": "Receiver",
        "metadata": {"name": "r"},
        "spec": {"secretRef": {"name": "s"}, **spec},
    }
    with pytest.raises(ValidationError) as err:
        Receiver.model_validate(data, strict=True)
    assert message in str(err.value)


def test_default_events_per_sender() -> None:
    assert receiver("g", "github").spec.effective_events == ("package", "registry_package")
    assert receiver("h", "harbor").spec.effective_events == ("PUSH_ARTIFACT", "DELETE_ARTIFACT")
    assert receiver("q", "quay").spec.effective_events == ()
