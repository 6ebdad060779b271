"""`notify test PROVIDER` against a local receiver: the sample arrives in the provider's
shape, a failing receiver is exit 1 with a line that names the Provider but not its URL."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from automation.cli import main
from automation.commands.notify import sample_event
from automation.commands.run import start_notifier
from automation.config import load_config
from automation.metrics import Metrics
from automation.notify.payloads import build
from tests.rig.ports import LOCALHOST, free_port
from tests.rig.receivers import serve_receiver

PROVIDER = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {{name: chat, namespace: apps}}
spec: {{type: slack, channel: ops, secretRef: {{name: chat-url}}}}
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata: {{name: chat-url, namespace: apps}}
stringData: {{address: "{url}"}}
"""


def files(tmp_path: Path, url: str) -> list[str]:
    (tmp_path / "p.yaml").write_text(PROVIDER.format())
    (tmp_path / "s.yaml").write_text(SECRET.format(url=url))
    return [str(tmp_path / "p.yaml"), "--secrets", str(tmp_path / "s.yaml")]


def test_a_sample_event_reaches_the_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_receiver() as receiver:
        assert main(["notify", "test", "apps/chat", *files(tmp_path, receiver.url)]) == 0
    [got] = receiver.received
    assert got.json["channel"] == "ops"
    assert (
        got.json["attachments"][0]["author_name"] == "imageupdateautomation/notification-test.apps"
    )
    out = capsys.readouterr().out
    assert "sent a test event to Provider apps/chat (slack)" in out and "hooks" not in out


def test_a_failing_provider_is_exit_1_without_its_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_receiver([403]) as receiver:
        assert main(["notify", "test", "chat", *files(tmp_path, receiver.url), "-n", "apps"]) == 1
    err = capsys.readouterr().err
    assert "Provider apps/chat (slack) failed: HTTP 403" in err and "/hooks/" not in err
    assert main(["notify", "test", "apps/none", *files(tmp_path, receiver.url)]) == 2


def test_the_daemons_failed_deliveries_count_in_the_metrics(tmp_path: Path) -> None:
    metrics = Metrics()
    (tmp_path / "p.yaml").write_text(PROVIDER.format())
    daemon = SimpleNamespace(config=load_config([tmp_path / "p.yaml"]), chain=SimpleNamespace())
    daemon.observer = metrics
    notifier = start_notifier(daemon)  # type: ignore[arg-type]
    assert daemon.chain.notifier is notifier
    dead = f"http://{LOCALHOST}:{free_port()}/hook"
    delivery = build("apps/chat", "slack", sample_event("apps"), address=dead, secret={})
    assert delivery is not None
    notifier.dispatcher._sleep = lambda _: None  # no backoff waits in the test
    notifier.dispatcher.submit(delivery)
    notifier.dispatcher.stop()
    text = metrics.render()[0].decode()
    assert 'image_automation_failures_total{reason="slack",stage="notification"} 1.0' in text
