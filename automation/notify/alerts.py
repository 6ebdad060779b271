"""Which Alerts an event goes to, as Flux's notification-controller decides.

In: the Config's Alerts and Providers and an ``Event``. Out: ``Route``s (provider, the
event with the alert's ``summary`` and ``eventMetadata`` added). Pure.

Rules (internal/server/event_handlers.go in fluxcd/notification-controller): a suspended
alert or provider routes nothing; ``eventSeverity: error`` takes errors only, ``info``
everything; an ``eventSources`` entry matches by kind, name (``*`` for any), namespace
(default: the alert's) and ``matchLabels``; an event whose message matches any
``exclusionList`` pattern is dropped, and with an ``inclusionList`` only messages matching
one of its patterns pass.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import re2

from automation.config import Config
from automation.config.base import ObjectKey
from automation.config.notification import Alert, EventSource, Provider
from automation.notify.event import Event


@dataclass(frozen=True)
class Route:
    alert: Alert
    provider: Provider
    event: Event


def source_matches(source: EventSource, alert: Alert, event: Event) -> bool:
    namespace = source.namespace or alert.metadata.namespace
    if source.kind != event.kind or namespace != event.namespace:
        return False
    if source.name != "*" and source.name != event.name:
        return False
    return all(event.labels.get(k) == v for k, v in source.match_labels.items())


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    """RE2, as Flux's Go regexp: linear time whatever the pattern or message."""
    options = re2.Options()
    options.log_errors = False
    return re2.compile(pattern, options)


def _search(patterns: list[str], message: str) -> bool:
    return any(_compiled(p).search(message) for p in patterns)


def alert_matches(alert: Alert, event: Event) -> bool:
    spec = alert.spec
    if spec.suspend:
        return False
    if spec.event_severity == "error" and event.severity != "error":
        return False
    if not any(source_matches(s, alert, event) for s in spec.event_sources):
        return False
    if spec.inclusion_list and not _search(spec.inclusion_list, event.message):
        return False
    return not _search(spec.exclusion_list, event.message)


def routes(config: Config, event: Event) -> list[Route]:
    found = []
    for _, alert in sorted(config.alerts.items()):
        if not alert_matches(alert, event):
            continue
        key = ObjectKey(alert.metadata.namespace, alert.spec.provider_ref.name)
        provider = config.providers.get(key)
        if provider is None or provider.spec.suspend:
            continue
        extra = dict(alert.spec.event_metadata)
        if alert.spec.summary:
            extra["summary"] = alert.spec.summary
        found.append(Route(alert, provider, event.with_metadata(extra)))
    return found
