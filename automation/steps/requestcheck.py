"""Checks across ChangeRequests, Providers and Alerts that one document cannot make alone.

In: the Config. Out: ConfigErrors at the file and line of the referring field: a
ChangeRequest naming no ImageUpdateAutomation (or a second one for the same automation), a
request template that does not parse, an Alert whose Provider is missing, Secrets named but
not provided.
"""

from __future__ import annotations

from collections.abc import Iterator

from automation.config.base import Object, ObjectKey
from automation.config.config import Config
from automation.errors import ConfigError
from automation.git.message import MessageTemplateError, check_template


def _secret(
    config: Config, obj: Object, namespace: str, name: str, field: str = "spec.secretRef"
) -> Iterator[ConfigError]:
    if config.secrets and ObjectKey(namespace, name) not in config.secrets:
        message = f"Secret {namespace}/{name} not found"
        yield ConfigError(obj.source.file, obj.line_of(field), field, message)


def check_requests(config: Config) -> Iterator[ConfigError]:
    claimed: dict[ObjectKey, ObjectKey] = {}
    for key, request in sorted(config.change_requests.items()):
        where = request.source
        auto_key = ObjectKey(key.namespace, request.spec.automation_ref.name)
        auto = config.automations.get(auto_key)
        if auto is None:
            message = f"ImageUpdateAutomation {auto_key} not found"
            yield ConfigError(
                where.file, request.line_of("spec.automationRef"), "spec.automationRef", message
            )
            continue
        if auto_key in claimed:
            message = f"ChangeRequest {claimed[auto_key]} already opens requests for {auto_key}"
            yield ConfigError(
                where.file, request.line_of("spec.automationRef"), "spec.automationRef", message
            )
        claimed.setdefault(auto_key, key)
        values = dict(auto.spec.git.commit.message_template_values)
        for field in ("branch", "title", "body"):
            text = getattr(request.spec, field)
            if not text:
                continue
            try:
                check_template(text, values)
            except MessageTemplateError as err:
                message = str(err).removeprefix("commit message template: ")
                line = request.line_of(f"spec.{field}")
                yield ConfigError(where.file, line, f"spec.{field}", message)
        yield from _secret(config, request, key.namespace, request.spec.secret_ref.name)
        if request.spec.cert_secret_ref is not None:
            name = request.spec.cert_secret_ref.name
            yield from _secret(config, request, key.namespace, name, "spec.certSecretRef")


def check_alerts(config: Config) -> Iterator[ConfigError]:
    for key, alert in sorted(config.alerts.items()):
        wanted = ObjectKey(key.namespace, alert.spec.provider_ref.name)
        if wanted not in config.providers:
            where = alert.source
            message = f"Provider {wanted} not found"
            line = alert.line_of("spec.providerRef")
            yield ConfigError(where.file, line, "spec.providerRef", message)
    for key, provider in sorted(config.providers.items()):
        if provider.spec.secret_ref is not None:
            yield from _secret(config, provider, key.namespace, provider.spec.secret_ref.name)
