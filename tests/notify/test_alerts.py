"""Alert routing as Flux decides it: severity, sources, lists, suspend, summary."""

from __future__ import annotations

import logging
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from automation.config import Config, load_config
from automation.errors import ConfigErrors
from automation.notify.alerts import routes
from automation.notify.delivery import Dispatcher
from automation.notify.event import Event
from automation.notify.notifier import Notifier
from automation.notify.payloads import Delivery

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def config(tmp_path: Path, alert_spec: str, provider_suspend: bool = False) -> Config:
    text = textwrap.dedent("""\
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Provider
        metadata: {name: chat, namespace: apps}
        spec: {type: slack, address: "https://hooks.example.com/x", suspend: SUSPEND}
        ---
        apiVersion: notification.toolkit.fluxcd.io/v1beta3
        kind: Alert
        metadata: {name: images, namespace: apps}
        spec:
          providerRef: {name: chat}
        """).replace("SUSPEND", str(provider_suspend).lower())
    text += textwrap.indent(textwrap.dedent(alert_spec), "  ")
    (tmp_path / "n.yaml").write_text(text)
    return load_config([tmp_path / "n.yaml"])


def ev(
    kind: str = "ImagePolicy",
    name: str = "app",
    namespace: str = "apps",
    severity: str = "info",
    message: str = "Latest image tag updated",
    labels: dict[str, str] | None = None,
) -> Event:
    return Event(kind, namespace, name, severity, "Succeeded", message, NOW, {}, labels or {})


ALL = "eventSources: [{kind: ImagePolicy, name: '*'}]\n"


@pytest.mark.parametrize(
    ("spec", "event", "routed"),
    [
        (ALL, ev(), True),
        (ALL, ev(namespace="other"), False),  # the alert's namespace by default
        (
            "eventSources: [{kind: ImagePolicy, name: '*', namespace: other}]",
            ev(namespace="other"),
            True,
        ),
        (ALL, ev(kind="ImageUpdateAutomation"), False),
        ("eventSources: [{kind: ImagePolicy, name: app}]", ev(name="web"), False),
        ("eventSources: [{kind: ImagePolicy, name: app}]", ev(), True),
        (ALL + "eventSeverity: error", ev(), False),
        (ALL + "eventSeverity: error", ev(severity="error"), True),
        (ALL + "eventSeverity: info", ev(severity="error"), True),
        (ALL + "exclusionList: ['^Latest']", ev(), False),
        (ALL + "exclusionList: ['nothing']", ev(), True),
        (ALL + "inclusionList: ['failed']", ev(), False),
        (ALL + "suspend: true", ev(), False),
        (
            "eventSources: [{kind: ImagePolicy, name: '*', matchLabels: {team: a}}]",
            ev(labels={"team": "a"}),
            True,
        ),
        (
            "eventSources: [{kind: ImagePolicy, name: '*', matchLabels: {team: a}}]",
            ev(labels={"team": "b"}),
            False,
        ),
    ],
)
def test_routing(tmp_path: Path, spec: str, event: Event, routed: bool) -> None:
    assert bool(routes(config(tmp_path, spec), event)) is routed


def test_summary_and_event_metadata_join_the_event_and_the_events_own_keys_win(
    tmp_path: Path,
) -> None:
    cfg = config(tmp_path, ALL + "summary: production\neventMetadata: {env: prod, latest: x}")
    event = Event("ImagePolicy", "apps", "app", "info", "Succeeded", "m", NOW, {"latest": "1.1"})
    [route] = routes(cfg, event)
    assert dict(route.event.metadata) == {"summary": "production", "env": "prod", "latest": "1.1"}


def test_a_suspended_provider_gets_nothing(tmp_path: Path) -> None:
    assert routes(config(tmp_path, ALL, provider_suspend=True), ev()) == []


def test_a_bad_pattern_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigErrors, match=r"n.yaml:12: spec.exclusionList: invalid regular expression"
    ):
        config(tmp_path, ALL + "exclusionList: ['(']")


FLUX_FILES = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: tg, namespace: apps}
spec: {type: telegram, channel: "123", interval: 5m}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {name: proxied, namespace: apps}
spec: {type: slack, address: "https://hooks.example.com/x", proxy: "http://proxy:3128"}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: cluster, namespace: apps}
spec:
  providerRef: {name: tg}
  eventSources: [{kind: Kustomization, name: "*"}, {kind: ImagePolicy, name: "*"}]
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: proxied, namespace: apps}
spec:
  providerRef: {name: proxied}
  eventSources: [{kind: ImagePolicy, name: "*"}]
"""


def test_flux_files_with_other_types_and_kinds_load_and_are_reported_not_sent(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "f.yaml").write_text(FLUX_FILES)
    cfg = load_config([tmp_path / "f.yaml"])
    sent: list[Delivery] = []
    dispatcher = Dispatcher(sent.append)
    with caplog.at_level(logging.WARNING):
        assert Notifier(cfg, dispatcher).emit(ev()) == 0
    assert sent == [] and dispatcher.stats.failed == 2
    assert "Provider apps/tg failed: provider type 'telegram' is not delivered" in caplog.text
    assert "Provider apps/proxied failed: spec.proxy is not supported" in caplog.text
