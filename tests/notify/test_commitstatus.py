"""Commit statuses for events that carry a revision, delivered to a local receiver standing in
for GitHub Enterprise, GitLab and Gitea at the paths their REST references give."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from automation.notify.delivery import Dispatcher, http_sender
from automation.notify.event import Event
from automation.notify.payloads import NotifyConfigError, build
from tests.rig.receivers import serve_receiver

SHA = "0123456789abcdef0123456789abcdef01234567"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def event(severity: str = "info", revision: str = f"main@sha1:{SHA}") -> Event:
    reason = "ReconciliationFailed" if severity == "error" else "Succeeded"
    meta = {"revision": revision} if revision else {}
    return Event("ImageUpdateAutomation", "apps", "Fleet", severity, reason, "m", NOW, meta)


@pytest.mark.parametrize(
    ("kind", "path", "auth", "body"),
    [
        (
            "github",
            f"/api/v3/repos/org/fleet/statuses/{SHA}",
            ("authorization", "Bearer tok"),
            {"state": "failure", "context": "imageupdateautomation/fleet"},
        ),
        (
            "gitlab",
            f"/api/v4/projects/org%2Ffleet/statuses/{SHA}",
            ("private-token", "tok"),
            {"state": "failed", "name": "imageupdateautomation/fleet"},
        ),
        (
            "gitea",
            f"/api/v1/repos/org/fleet/statuses/{SHA}",
            ("authorization", "token tok"),
            {"state": "failure", "context": "imageupdateautomation/fleet"},
        ),
    ],
)
def test_a_status_per_forge(
    kind: str, path: str, auth: tuple[str, str], body: dict[str, str]
) -> None:
    with serve_receiver() as receiver:
        origin = receiver.url.split("/hooks/")[0]
        delivery = build(
            "apps/status",
            kind,
            event("error"),
            address=f"{origin}/org/fleet.git",
            secret={"token": b"tok"},
        )
        assert delivery is not None
        assert Dispatcher(http_sender()).deliver(delivery)
    [got] = receiver.received
    assert got.path == path and got.headers[auth[0]] == auth[1]
    assert got.json == {**body, "description": "reconciliation failed"}


def test_github_com_goes_to_api_github_com_and_success_for_info() -> None:
    delivery = build(
        "apps/s", "github", event(), address="https://github.com/org/fleet", secret={"token": b"t"}
    )
    assert delivery is not None
    assert delivery.url == f"https://api.github.com/repos/org/fleet/statuses/{SHA}"
    assert b'"state":"success"' in delivery.body and b'"description":"succeeded"' in delivery.body


def test_no_revision_no_status_and_a_token_is_required() -> None:
    secret = {"token": b"t"}
    assert build("a/s", "gitea", event(revision=""), address="https://h/o/r", secret=secret) is None
    assert (
        build(
            "a/s",
            "gitea",
            event(revision="main@sha1:nothex"),
            address="https://h/o/r",
            secret=secret,
        )
        is None
    )
    with pytest.raises(NotifyConfigError, match="token"):
        build("a/s", "gitlab", event(), address="https://h/o/r", secret={})
