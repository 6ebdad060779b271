"""One webhook call, decided (pure): authenticate, read the event, match ImageRepositories.

In: the endpoint the path named, lower-cased headers, the body, and the ImageRepositories by
key (`ns/name`). Out: a `WebhookResult` with the HTTP status, a short message safe to show
and log (never a token, signature or path), and the keys to scan now. Nothing is trusted
before authentication; after it, only repository names are read from the payload.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from automation.config.image import ImageRepository
from automation.config.receiver import Receiver
from automation.errors import AutomationError
from automation.reference import parse_repository
from automation.server.payloads import PayloadError, images_in
from automation.server.receivers import Endpoint, authenticate

ACCEPTED = 202


@dataclass(frozen=True, slots=True)
class WebhookResult:
    status: int
    message: str
    receiver: str = ""
    receiver_type: str = "unknown"
    repositories: frozenset[str] = frozenset()


def _event(endpoint: Endpoint, headers: Mapping[str, str], payload: dict[str, object]) -> str:
    if endpoint.type == "github":
        return headers.get("x-github-event", "")
    if endpoint.type == "harbor":
        kind = payload.get("type")
        return kind if isinstance(kind, str) else ""
    return ""


def _decode(body: bytes, empty_ok: bool) -> dict[str, object]:
    if not body.strip() and empty_ok:
        return {}
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("the body is not valid JSON") from None
    except RecursionError:
        raise PayloadError("the body is JSON nested too deeply") from None
    if not isinstance(payload, dict):
        raise PayloadError("the body is not a JSON object")
    return payload


@lru_cache(maxsize=4096)
def _canonical(image: str) -> str | None:
    """Parsing every spec.image on every call costs ~5 us each; configs repeat them."""
    try:
        return parse_repository(image).canonical
    except AutomationError:
        return None


def _allowed(receiver: Receiver, repositories: Mapping[str, ImageRepository]) -> dict[str, str]:
    """key -> canonical image of the ImageRepositories this receiver may trigger."""
    resources = receiver.spec.resources
    out: dict[str, str] = {}
    for key, repo in repositories.items():
        namespace = repo.metadata.namespace
        if repo.spec.suspend:
            continue
        if resources and not any(
            receiver.resource_namespace(r) == namespace and r.name in ("*", repo.metadata.name)
            for r in resources
        ):
            continue
        canonical = _canonical(repo.spec.image)
        if canonical is not None:  # a bad image is reported by the scan; a webhook can't fix it
            out[key] = canonical
    return out


def match_repositories(
    receiver: Receiver, images: frozenset[str], repositories: Mapping[str, ImageRepository]
) -> frozenset[str] | None:
    """Keys to scan: allowed ones whose image the payload names (all allowed ones when it
    names none and the receiver lists resources). None: nothing named and nothing listed."""
    allowed = _allowed(receiver, repositories)
    if not images:
        return frozenset(allowed) if receiver.spec.resources else None
    return frozenset(key for key, image in allowed.items() if image in images)


def handle(
    endpoint: Endpoint,
    headers: Mapping[str, str],
    body: bytes,
    repositories: Mapping[str, ImageRepository],
) -> WebhookResult:
    """Decide one authenticated-or-not call to an existing receiver's path."""

    def result(status: int, message: str, keys: frozenset[str] = frozenset()) -> WebhookResult:
        return WebhookResult(status, message, endpoint.key, endpoint.type, keys)

    receiver = endpoint.receiver
    if not authenticate(endpoint, headers, body):
        return result(401, "unauthorized")
    if receiver.spec.suspend:
        return result(503, "receiver is suspended")
    if endpoint.type == "github" and headers.get("x-github-event") == "ping":
        return result(200, "pong")
    try:
        payload = _decode(body, empty_ok=endpoint.type.startswith("generic"))
        event = _event(endpoint, headers, payload)
        events = receiver.spec.effective_events
        if events and event not in events:
            return result(200, f"event {event[:64]!r} ignored")
        images = images_in(endpoint.type, event, payload)
    except PayloadError as err:
        return result(400, str(err))
    if not images and endpoint.type == "github":
        return result(200, "not a container package")
    keys = match_repositories(receiver, images, repositories)
    if keys is None:
        return result(400, "the payload names no image and the receiver lists no resources")
    if not keys:
        return result(200, "no ImageRepository matches")
    return result(ACCEPTED, f"scan of {len(keys)} ImageRepositories requested", keys)
