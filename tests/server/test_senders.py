"""Each sender's webhook over real HTTP: the right credential queues exactly the matching
ImageRepositories; a wrong one gets 401 and queues nothing."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from tests.server.conftest import Listener, payload


def signature(token: str, body: bytes, algorithm: str = "sha256") -> str:
    digest = hmac.new(token.encode(), body, getattr(hashlib, algorithm)).hexdigest()
    return f"{algorithm}={digest}"


def test_dockerhub_push_scans_every_spelling_of_the_repository(listener: Listener) -> None:
    status, answer = listener.post("hub", payload("dockerhub.json"))
    assert status == 202
    # `myorg/app` and `docker.io/myorg/app` are one repository; the pushed tag is not used.
    assert listener.scans == [{"default/app", "default/app-mirror"}]
    assert answer["repositories"] == ["default/app", "default/app-mirror"]


def test_dockerhub_official_image_name_matches_library_path(listener: Listener) -> None:
    body = json.dumps({"repository": {"repo_name": "library/alpine"}}).encode()
    status, _ = listener.post("hub", body)
    assert status == 202
    assert listener.scans == [{"default/alpine"}]


def test_quay_push_skips_suspended_and_other_repositories(listener: Listener) -> None:
    status, _ = listener.post("quay", payload("quay.json"))
    assert status == 202
    assert listener.scans == [{"default/quay-app"}]  # not default/paused, not quay-other


def test_harbor_with_its_auth_header(listener: Listener) -> None:
    status, _ = listener.post(
        "harbor", payload("harbor.json"), {"Authorization": "token-of-harbor"}
    )
    assert status == 202
    assert listener.scans == [{"default/harbor-app"}]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "token-of-hub"}, {"Authorization": "token-of-harbor "}],
    ids=["missing", "other-token", "trailing-space"],
)
def test_harbor_without_the_right_auth_header_is_401(
    listener: Listener, headers: dict[str, str]
) -> None:
    status, answer = listener.post("harbor", payload("harbor.json"), headers)
    assert (status, answer["message"]) == (401, "unauthorized")
    assert listener.scans == []


def test_harbor_pull_events_are_ignored(listener: Listener) -> None:
    body = json.loads(payload("harbor.json"))
    body["type"] = "PULL_ARTIFACT"
    status, _ = listener.post(
        "harbor", json.dumps(body).encode(), {"Authorization": "token-of-harbor"}
    )
    assert status == 200
    assert listener.scans == []


def github_headers(body: bytes, event: str = "package", token: str = "token-of-github") -> dict:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
        "X-Hub-Signature-256": signature(token, body),
        "Content-Type": "application/json",
    }


def test_github_container_package_event(listener: Listener) -> None:
    body = payload("github_package.json")
    status, _ = listener.post("github", body, github_headers(body))
    assert status == 202
    # Owner `Octo-Org` is lower-cased by ghcr.io; the receiver lives in `team`, but
    # without resources it triggers any namespace's match.
    assert listener.scans == [{"team/ghcr-app"}]


def test_github_registry_package_event_without_package_url(listener: Listener) -> None:
    package = json.loads(payload("github_package.json"))["package"]
    del package["package_version"]["package_url"]
    body = json.dumps({"action": "published", "registry_package": package}).encode()
    status, _ = listener.post("github", body, github_headers(body, "registry_package"))
    assert status == 202
    assert listener.scans == [{"team/ghcr-app"}]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda h: h.pop("X-Hub-Signature-256"),
        lambda h: h.update({"X-Hub-Signature-256": signature("token-of-hub", b"{}")}),
        lambda h: h.update({"X-Hub-Signature-256": "sha1=" + "0" * 40}),
        lambda h: h.update({"X-Hub-Signature-256": "sha256=zz"}),
    ],
    ids=["missing", "other-body-and-key", "sha1", "not-hex"],
)
def test_github_bad_signature_is_401(listener: Listener, mangle) -> None:  # type: ignore[no-untyped-def]
    body = payload("github_package.json")
    headers = github_headers(body)
    mangle(headers)
    status, _ = listener.post("github", body, headers)
    assert status == 401
    assert listener.scans == []


def test_github_signature_over_a_changed_body_is_401(listener: Listener) -> None:
    body = payload("github_package.json")
    headers = github_headers(body)
    tampered = body.replace(b"hello-world", b"hello-worle")
    status, _ = listener.post("github", tampered, headers)
    assert status == 401
    assert listener.scans == []


def test_github_ping_and_other_events_scan_nothing(listener: Listener) -> None:
    ping = b'{"zen": "Keep it logically awesome.", "hook_id": 1}'
    assert listener.post("github", ping, github_headers(ping, "ping"))[0] == 200
    push = b'{"ref": "refs/heads/main"}'
    assert listener.post("github", push, github_headers(push, "push"))[0] == 200
    npm = payload("github_npm_package.json")
    assert listener.post("github", npm, github_headers(npm))[0] == 200
    assert listener.scans == []


def test_generic_image_and_images_forms(listener: Listener) -> None:
    one = b'{"image": "quay.io/myorg/app:1.2.3@sha256:' + b"a" * 64 + b'"}'
    many = b'{"images": ["alpine", "ghcr.io/octo-org/hello-world", "example.com/none"]}'
    assert listener.post("generic", one)[0] == 202
    assert listener.post("generic", many)[0] == 202
    assert listener.scans == [{"default/quay-app"}, {"default/alpine", "team/ghcr-app"}]


def test_generic_with_resources_scans_only_those(listener: Listener) -> None:
    assert listener.post("scoped", b"")[0] == 202  # no body: every listed resource
    assert listener.post("scoped", b'{"image": "alpine"}')[0] == 200  # named, not listed
    assert listener.scans == [{"default/quay-app"}]


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
def test_generic_hmac_signed(listener: Listener, algorithm: str) -> None:
    body = b'{"image": "alpine"}'
    headers = {"X-Signature": signature("token-of-signed", body, algorithm)}
    assert listener.post("signed", body, headers)[0] == 202
    assert listener.scans == [{"default/alpine"}]


@pytest.mark.parametrize(
    "header",
    [None, "sha256=" + "0" * 64, "md5=abc", "token-of-signed", "sha256="],
    ids=["missing", "wrong-mac", "unknown-algorithm", "plain-token", "empty"],
)
def test_generic_hmac_bad_signature_is_401(listener: Listener, header: str | None) -> None:
    headers = {} if header is None else {"X-Signature": header}
    assert listener.post("signed", b'{"image": "alpine"}', headers)[0] == 401
    assert listener.scans == []


def test_suspended_receiver_changes_nothing(listener: Listener) -> None:
    status, answer = listener.post("paused", payload("dockerhub.json"))
    assert (status, answer["message"]) == (503, "receiver is suspended")
    assert listener.scans == []


@pytest.mark.parametrize(
    ("receiver", "body", "status"),
    [
        ("hub", b"{not json", 400),
        ("hub", b"\xff\xfe", 400),
        ("hub", b"[1, 2]", 400),
        ("hub", b'{"repository": {}}', 400),
        ("hub", b'{"repository": {"repo_name": "Not A Name"}}', 400),
        ("quay", b"", 400),
        ("generic", b"", 400),  # names nothing and lists no resources
        ("generic", b'{"images": "alpine"}', 400),
        ("hub", b'{"repository": {"repo_name": "nobody/here"}}', 200),
    ],
)
def test_payloads_that_name_nothing_usable_scan_nothing(
    listener: Listener, receiver: str, body: bytes, status: int
) -> None:
    assert listener.post(receiver, body)[0] == status
    assert listener.scans == []
