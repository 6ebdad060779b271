"""Events in, deliveries queued: route by the Alerts, build per Provider, hand to the worker.

In: an ``Event`` (``emit``), the current Config (``use`` on reload). Out: deliveries queued
on the ``Dispatcher``; ``emit`` never does network I/O and never raises for a provider's
problems (a provider that cannot be built is logged and counted like a failed delivery).
"""

from __future__ import annotations

import logging

from automation.config import Config
from automation.errors import AutomationError
from automation.notify.alerts import routes
from automation.notify.delivery import Dispatcher
from automation.notify.event import Event
from automation.notify.payloads import build

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, config: Config, dispatcher: Dispatcher) -> None:
        self.config = config
        self.dispatcher = dispatcher

    def use(self, config: Config) -> None:
        self.config = config

    def emit(self, event: Event) -> int:
        """Queue ``event`` for every matching alert; how many deliveries were queued."""
        queued = 0
        for route in routes(self.config, event):
            provider = route.provider
            key = str(provider.key)
            unsupported = provider.spec.unsupported()
            if unsupported:
                log.warning("notification to Provider %s failed: %s", key, unsupported)
                self.dispatcher.stats.failed += 1
                continue
            try:
                secret = {}
                if provider.spec.secret_ref is not None:
                    secret = self.config.secret(
                        provider.metadata.namespace,
                        provider.spec.secret_ref.name,
                        needed_by=provider,
                    ).values
                delivery = build(
                    key,
                    provider.spec.type,
                    route.event,
                    address=provider.spec.address,
                    secret=secret,
                    channel=provider.spec.channel,
                    username=provider.spec.username,
                    timeout=timeout.total_seconds() if (timeout := provider.spec.timeout) else None,
                )
            except AutomationError as err:
                log.warning(
                    "notification to Provider %s (%s) failed: %s", key, provider.spec.type, err
                )
                self.dispatcher.stats.failed += 1
                continue
            if delivery is not None:
                queued += self.dispatcher.submit(delivery)
        return queued
