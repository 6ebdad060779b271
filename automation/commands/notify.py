"""`image-automation notify test PROVIDER`: send a sample event to one Flux Provider.

The event goes straight to the provider (no Alert needed), with the same payload, headers and
retries as in a cycle; the exit code says whether it arrived. The provider's address is never
printed (webhook URLs are secrets).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from automation.commands.common import add_config_arguments, load
from automation.config import ObjectKey
from automation.errors import UsageError
from automation.notify.delivery import Dispatcher, http_sender
from automation.notify.event import Event
from automation.notify.payloads import build


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["test"])
    parser.add_argument("provider", metavar="PROVIDER", help="NAMESPACE/NAME or NAME")
    parser.add_argument("-n", "--namespace", default="default", help="namespace of NAME")
    add_config_arguments(parser)


def sample_event(namespace: str) -> Event:
    return Event(
        "ImageUpdateAutomation",
        namespace,
        "notification-test",
        "info",
        "Succeeded",
        "test notification from image-automation",
        datetime.now(UTC),
        {"test": "true"},
    )


def run(args: argparse.Namespace) -> int:
    config = load(args)
    namespace, _, name = args.provider.rpartition("/")
    key = ObjectKey(namespace or args.namespace, name)
    provider = config.providers.get(key)
    if provider is None:
        raise UsageError(f"no Provider {key} in the policy files")
    secret = {}
    if provider.spec.secret_ref is not None:
        ref = provider.spec.secret_ref.name
        secret = config.secret(key.namespace, ref, needed_by=provider).values
    delivery = build(
        str(key),
        provider.spec.type,
        sample_event(key.namespace),
        address=provider.spec.address,
        secret=secret,
        channel=provider.spec.channel,
        username=provider.spec.username,
    )
    if delivery is None:
        print(f"Provider {key} ({provider.spec.type}) reports on revisions only: nothing sent")
        return 0
    if Dispatcher(http_sender(), attempts=2).deliver(delivery):
        print(f"sent a test event to Provider {key} ({provider.spec.type})")
        return 0
    return 1
