"""Provider payloads as Flux's notifiers send them (internal/notifier/*.go in
fluxcd/notification-controller), checked field by field."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from automation.notify.event import Event
from automation.notify.payloads import NotifyConfigError, build

NOW = datetime(2026, 12, 1, 12, 0, 5, tzinfo=UTC)
URL = "https://hooks.slack.com/services/T0/B0/secretpart"


def event(severity: str = "info", **meta: str) -> Event:
    return Event(
        "ImagePolicy",
        "apps",
        "app",
        severity,
        "Succeeded",
        "Latest image tag for ghcr.io/org/app updated from 1.0.0 to 1.1.0\nsecond line",
        NOW,
        meta,
    )


def body(kind: str, ev: Event, **kw: object) -> object:
    delivery = build("apps/p", kind, ev, address=URL, secret={}, **kw)  # type: ignore[arg-type]
    return json.loads(delivery.body)


def test_generic_posts_the_flux_event_itself_with_the_component_header() -> None:
    delivery = build("apps/p", "generic", event(previous="a"), address=URL, secret={})
    assert json.loads(delivery.body) == {
        "involvedObject": {
            "kind": "ImagePolicy",
            "namespace": "apps",
            "name": "app",
            "apiVersion": "image.toolkit.fluxcd.io/v1",
        },
        "severity": "info",
        "timestamp": "2026-12-01T12:00:05Z",
        "message": event().message,
        "reason": "Succeeded",
        "metadata": {"previous": "a"},
        "reportingController": "image-automation",
    }
    assert delivery.headers["gotk-component"] == "image-automation"
    assert delivery.url == URL


def test_generic_hmac_signs_the_exact_body_with_the_token() -> None:
    secret = {"token": b"hmac-key", "headers": b"X-Team: images\n"}
    delivery = build("apps/p", "generic-hmac", event(), address=URL, secret=secret)
    expected = hmac.new(b"hmac-key", delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["X-Signature"] == f"sha256={expected}"
    assert delivery.headers["X-Team"] == "images"
    with pytest.raises(NotifyConfigError, match="token"):
        build("apps/p", "generic-hmac", event(), address=URL, secret={})


def test_slack_attachment_colour_author_and_fields() -> None:
    data = body("slack", event("error", summary="prod"), channel="ops", username="bot")
    assert data == {
        "channel": "ops",
        "username": "bot",
        "icon_url": "",
        "icon_emoji": "",
        "attachments": [
            {
                "fallback": "imagepolicy/app.apps: Latest image tag for ghcr.io/org/app "
                "updated from 1.0.0 to 1.1.0",
                "color": "danger",
                "author_name": "imagepolicy/app.apps",
                "text": event().message,
                "mrkdwn_in": ["text"],
                "fields": [{"title": "summary", "value": "prod", "short": False}],
            }
        ],
    }
    assert body("slack", event())["attachments"][0]["color"] == "good"  # type: ignore[index]


def test_discord_gets_slacks_body_on_the_slack_compatible_path() -> None:
    delivery = build(
        "apps/p", "discord", event(), address="https://discord.com/api/webhooks/1/x", secret={}
    )
    assert delivery.url == "https://discord.com/api/webhooks/1/x/slack"
    assert json.loads(delivery.body)["attachments"][0]["author_name"] == "imagepolicy/app.apps"


def test_alertmanager_fires_one_alert_with_flux_labels() -> None:
    [alert] = body("alertmanager", event("error", summary="prod", env="p"))  # type: ignore[misc]
    assert alert["status"] == "firing" and alert["startsAt"] == "2026-12-01T12:00:05Z"
    assert alert["annotations"] == {"message": event().message, "summary": "prod"}
    assert alert["labels"] == {
        "env": "p",
        "alertname": "FluxImagePolicySucceeded",
        "severity": "error",
        "reason": "Succeeded",
        "kind": "ImagePolicy",
        "name": "app",
        "namespace": "apps",
        "reportingcontroller": "image-automation",
    }


def test_msteams_adaptive_card_and_google_chat_card() -> None:
    teams = body("msteams", event("error", summary="prod", b="2", a="1"))
    card = teams["attachments"][0]["content"]  # type: ignore[index]
    assert teams["type"] == "message" and card["type"] == "AdaptiveCard"  # type: ignore[index]
    title, message, facts = card["body"][0]["items"]
    assert title["text"] == "imagepolicy/app.apps" and message["color"] == "attention"
    assert [f["title"] for f in facts["facts"]] == ["summary", "a", "b"]
    chat = body("googlechat", event("error", env="p"))
    [card] = chat["cards"]  # type: ignore[index]
    assert card["header"]["title"] == "imagepolicy/app.apps"
    assert card["sections"][0]["widgets"][0]["textParagraph"]["text"].startswith(
        '<font color="#ff0000">'
    )
    assert card["sections"][1]["widgets"][0]["keyValue"]["topLabel"] == "env"


def test_the_secret_address_wins_and_is_never_in_the_repr() -> None:
    delivery = build("apps/p", "slack", event(), address="", secret={"address": URL.encode()})
    assert delivery.url == URL and "secretpart" not in repr(delivery)
    with pytest.raises(NotifyConfigError) as err:
        build("apps/p", "slack", event(), address="", secret={})
    assert "apps/p" in str(err.value)


@pytest.mark.parametrize("headers", [b"X-A: b\rX-Evil: 1", b"no colon here", b"Bad Name: v"])
def test_hostile_header_lines_are_refused(headers: bytes) -> None:
    with pytest.raises(NotifyConfigError):
        build("apps/p", "generic", event(), address=URL, secret={"headers": headers})


def test_alertmanager_basic_auth_and_a_provider_timeout() -> None:
    secret = {"username": b"am", "password": b"pw"}
    delivery = build("a/p", "alertmanager", event(), address=URL, secret=secret, timeout=3.0)
    assert delivery is not None and delivery.timeout == 3.0
    assert delivery.headers["Authorization"] == "Basic YW06cHc="
