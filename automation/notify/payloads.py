"""What to POST for an event, per provider type, as Flux's notifiers build it. Pure.

In: the provider's type, channel, username, its secret values (``address``, ``token``,
``username``/``password``, ``headers``) and an ``Event``. Out: a ``Delivery`` (URL,
headers, JSON body) or a ``NotifyConfigError``.

Shapes follow internal/notifier/ in fluxcd/notification-controller: ``slack.go``
(attachments with color good/danger, ``author_name`` kind/name.namespace, metadata as
fields), ``discord.go`` (Slack's body to the webhook URL + ``/slack``), ``teams.go``
(an Adaptive Card message), ``google_chat.go`` (a card with header and sections),
``alertmanager.go`` (one firing alert, labels and annotations), ``forwarder.go``
(``generic``: the event itself; ``generic-hmac`` adds ``X-Signature: sha256=<hex>``, the
HMAC-SHA256 of the body keyed by ``token``; both send ``gotk-component``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from automation.errors import StalledError
from automation.notify.commitstatus import COMMIT_STATUS_TYPES, commit_status
from automation.notify.event import CONTROLLER, Event

FLUX_ICON = "https://avatars.githubusercontent.com/u/52158677?s=200&v=4"
MAX_HEADERS = 32


class NotifyConfigError(StalledError):
    """A provider cannot be used as configured (no address, bad headers)."""


@dataclass(frozen=True)
class Delivery:
    provider: str  # namespace/name of the Provider: what logs and metrics name
    provider_type: str
    url: str = field(repr=False)  # webhook URLs carry secrets: never logged
    headers: Mapping[str, str] = field(repr=False, default_factory=dict)
    body: bytes = b""
    dedupe_key: str = ""
    timeout: float | None = None  # the Provider's spec.timeout; None: the sender's default


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _fields(event: Event) -> list[tuple[str, str]]:
    return sorted(event.metadata.items())


def slack_body(event: Event, channel: str = "", username: str = "") -> dict[str, Any]:
    author = event.object_path
    attachment = {
        "fallback": f"{author}: {event.message.splitlines()[0] if event.message else ''}",
        "color": "danger" if event.severity == "error" else "good",
        "author_name": author,
        "text": event.message,
        "mrkdwn_in": ["text"],
        "fields": [{"title": k, "value": v, "short": False} for k, v in _fields(event)],
    }
    return {
        "channel": channel,
        "username": username or CONTROLLER,
        "icon_url": "",
        "icon_emoji": "",
        "attachments": [attachment],
    }


def msteams_body(event: Event) -> dict[str, Any]:
    message: dict[str, Any] = {"type": "TextBlock", "text": event.message, "wrap": True}
    if event.severity == "error":
        message["color"] = "attention"
    facts = (
        [{"title": "summary", "value": event.metadata["summary"]}]
        if "summary" in event.metadata
        else []
    )
    facts += [{"title": k, "value": v} for k, v in _fields(event) if k != "summary"]
    title = {
        "type": "TextBlock",
        "text": event.object_path,
        "size": "large",
        "weight": "bolder",
        "wrap": True,
    }
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "Container", "items": [title, message, {"type": "FactSet", "facts": facts}]}
        ],
        "msteams": {"width": "Full"},
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def googlechat_body(event: Event) -> dict[str, Any]:
    text = event.message
    if event.severity == "error":
        text = f'<font color="#ff0000">{event.message}</font>'
    sections: list[dict[str, Any]] = [
        {"header": "", "widgets": [{"textParagraph": {"text": text}, "keyValue": None}]}
    ]
    if event.metadata:
        widgets = [
            {
                "textParagraph": None,
                "keyValue": {
                    "topLabel": k,
                    "content": v,
                    "contentMultiline": False,
                    "bottomLabel": None,
                    "icon": None,
                },
            }
            for k, v in _fields(event)
        ]
        sections.append({"header": "", "widgets": widgets})
    header = {
        "title": event.object_path,
        "subtitle": CONTROLLER,
        "imageUrl": None,
        "imageStyle": None,
    }
    return {"cards": [{"header": header, "sections": sections}]}


def alertmanager_body(event: Event) -> list[dict[str, Any]]:
    labels = {k: v for k, v in event.metadata.items() if k != "summary"}
    annotations = {"message": event.message}
    if "summary" in event.metadata:
        annotations["summary"] = event.metadata["summary"]
    labels |= {
        "alertname": f"Flux{event.kind}{event.reason[:1].upper()}{event.reason[1:].lower()}",
        "severity": event.severity,
        "reason": event.reason,
        "kind": event.kind,
        "name": event.name,
        "namespace": event.namespace,
        "reportingcontroller": CONTROLLER,
    }
    starts = event.to_flux()["timestamp"]
    return [{"status": "firing", "labels": labels, "annotations": annotations, "startsAt": starts}]


def _extra_headers(raw: bytes) -> dict[str, str]:
    """The secret's ``headers`` key: ``Name: value`` lines (Flux reads a YAML map)."""
    out: dict[str, str] = {}
    for line in raw.decode("utf-8", "replace").split("\n")[:MAX_HEADERS]:
        line = line.removesuffix("\r")
        name, sep, value = line.partition(":")
        name, value = name.strip(), value.strip().strip('"')
        if not line.strip():
            continue
        if not sep or not name or any(c in name + value for c in "\r\n\0") or " " in name:
            raise NotifyConfigError("the provider secret's headers key is not 'Name: value' lines")
        out[name] = value
    return out


def build(
    key: str,
    provider_type: str,
    event: Event,
    *,
    address: str,
    secret: Mapping[str, bytes],
    channel: str = "",
    username: str = "",
    timeout: float | None = None,
) -> Delivery | None:
    """The POST for ``event``; None when the provider has nothing to say about it (a
    commit status for an event without a revision)."""
    url = secret.get("address", b"").decode("utf-8", "replace").strip() or address
    if not url.startswith(("https://", "http://")):
        raise NotifyConfigError(
            f"Provider {key}: no http(s) address (spec.address or the secret's address key)"
        )
    token = secret.get("token", b"").decode("utf-8", "replace").strip()
    headers = {"Content-Type": "application/json"}
    body: Any
    if provider_type in COMMIT_STATUS_TYPES:
        if not token:
            raise NotifyConfigError(f"Provider {key}: {provider_type} needs the secret's token key")
        status = commit_status(provider_type, url, token, event)
        if status is None:
            return None
        url, extra, body = status
        headers |= extra
    elif provider_type in ("slack", "discord"):
        body = slack_body(event, channel, username)
        if provider_type == "discord" and not url.rstrip("/").endswith("/slack"):
            url = url.rstrip("/") + "/slack"
        if token and provider_type == "slack":
            headers["Authorization"] = f"Bearer {token}"
    elif provider_type == "msteams":
        body = msteams_body(event)
    elif provider_type == "googlechat":
        body = googlechat_body(event)
    elif provider_type == "alertmanager":
        body = alertmanager_body(event)
        user, password = secret.get("username", b""), secret.get("password", b"")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif user and password:
            basic = base64.b64encode(user + b":" + password).decode()
            headers["Authorization"] = f"Basic {basic}"
    else:  # generic, generic-hmac
        body = event.to_flux()
        headers["gotk-component"] = CONTROLLER
        headers |= _extra_headers(secret.get("headers", b""))
    data = _json(body)
    if provider_type == "generic-hmac":
        if not token:
            raise NotifyConfigError(f"Provider {key}: generic-hmac needs the secret's token key")
        headers["X-Signature"] = (
            "sha256=" + hmac.new(token.encode(), data, hashlib.sha256).hexdigest()
        )
    flux = event.to_flux()
    identity = _json(
        [key, flux["involvedObject"], flux["severity"], flux["reason"], flux["message"]]
    )
    dedupe = hashlib.sha256(identity).hexdigest()
    return Delivery(key, provider_type, url, headers, data, dedupe, timeout)
