"""`notify test PROVIDER` against a local receiver: the sample arrives in the provider's
shape, a failing receiver is exit 1 with a line that names the Provider but not its URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.cli import main
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
