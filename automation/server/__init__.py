"""Webhooks, health and metrics over HTTP.

In: Receivers (with their Secrets), the ImageRepositories, a readiness check and an
`on_scan` callback. Out: authenticated webhook calls turned into "scan these now".
`payloads`, `receivers` and `webhooks` are pure and exported here; `listener` is the only
HTTP code (and loads prometheus_client): import `automation.server.listener` where it is
wanted, so that checking receivers does not load the HTTP side.
"""

from automation.server.payloads import PayloadError, images_in
from automation.server.receivers import (
    Endpoint,
    check_receivers,
    resolve_endpoints,
    webhook_path,
)
from automation.server.webhooks import WebhookResult, handle, match_repositories

__all__ = [
    "Endpoint",
    "PayloadError",
    "WebhookResult",
    "check_receivers",
    "handle",
    "images_in",
    "match_repositories",
    "resolve_endpoints",
    "webhook_path",
]
