"""A reconcile cycle's events reach Flux Providers: a generic and a Slack-shaped receiver get
the documented payloads for an update, a failure and the recovery, while a receiver that
hangs never slows the cycle (real registry, real git remote, local HTTP receivers)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from automation.config import load_config
from automation.notify.delivery import Dispatcher, http_sender
from automation.notify.notifier import Notifier
from automation.reconcile import reconcile
from automation.state import open_store
from tests.rig.git_remotes import GitRemote, seed
from tests.rig.images import push_image
from tests.rig.receivers import Received, serve_receiver
from tests.rig.registry import RegistryServer
from tests.test_reconcile import DEPLOY, policies

NOTIFY = """\
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {{name: hook, namespace: apps}}
spec: {{type: generic, address: "{generic}"}}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {{name: chat, namespace: apps}}
spec: {{type: slack, channel: images, secretRef: {{name: slack-url}}}}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {{name: stuck, namespace: apps}}
spec: {{type: generic, address: "{hanging}"}}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {{name: all, namespace: apps}}
spec:
  providerRef: {{name: hook}}
  eventSources: [{{kind: ImagePolicy, name: "*"}}, {{kind: ImageUpdateAutomation, name: "*"}}]
  summary: production
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {{name: chat, namespace: apps}}
spec:
  providerRef: {{name: chat}}
  eventSources: [{{kind: ImageUpdateAutomation, name: fleet}}]
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {{name: stuck, namespace: apps}}
spec:
  providerRef: {{name: stuck}}
  eventSources: [{{kind: ImagePolicy, name: "*"}}, {{kind: ImageUpdateAutomation, name: "*"}}]
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata: {{name: slack-url, namespace: apps}}
stringData: {{address: "{url}"}}
"""


def by_kind(received: list[Received], kind: str) -> list[dict[str, object]]:
    return [r.json for r in received if r.json["involvedObject"]["kind"] == kind]


def test_update_failure_and_recovery_reach_generic_and_slack_receivers(
    registry: RegistryServer, bare_remote: GitRemote, tmp_path: Path
) -> None:
    repo = f"e2e/app-{uuid.uuid4().hex[:8]}"
    image = f"{registry.host}/{repo}"
    seed(bare_remote, {"clusters/app.yaml": DEPLOY.format(image=image)}, "add app")
    push_image(registry, repo, "1.1.0")
    with (
        serve_receiver() as generic,
        serve_receiver() as slack,
        serve_receiver(hang=30.0) as hanging,
    ):
        (tmp_path / "p").mkdir()
        (tmp_path / "p" / "all.yaml").write_text(policies(registry, repo, bare_remote))
        (tmp_path / "p" / "notify.yaml").write_text(
            NOTIFY.format(generic=generic.url, hanging=hanging.url)
        )
        (tmp_path / "secrets.yaml").write_text(SECRET.format(url=slack.url))
        config = load_config([tmp_path / "p"], [tmp_path / "secrets.yaml"])
        store = open_store(tmp_path / "state.db")
        dispatcher = Dispatcher(http_sender(timeout=30.0), workers=4).start()
        notifier = Notifier(config, dispatcher)

        assert not reconcile(config, store, cache=tmp_path / "c", notifier=notifier).failed
        generic.wait(2)
        slack.wait(1)
        [policy] = by_kind(generic.received, "ImagePolicy")
        assert policy["severity"] == "info" and policy["reason"] == "Succeeded"
        assert policy["message"] == f"Latest image tag for {image} updated from nothing to 1.1.0"
        assert policy["metadata"]["summary"] == "production"  # type: ignore[index]
        [pushed] = by_kind(generic.received, "ImageUpdateAutomation")
        assert str(pushed["message"]).startswith("pushed commit '")
        assert pushed["involvedObject"] == {
            "kind": "ImageUpdateAutomation",
            "namespace": "apps",
            "name": "fleet",
            "apiVersion": "image.toolkit.fluxcd.io/v1",
        }
        [chat] = slack.received
        attachment = chat.json["attachments"][0]
        assert chat.json["channel"] == "images" and attachment["color"] == "good"
        assert attachment["author_name"] == "imageupdateautomation/fleet.apps"
        assert hanging.received == []  # still hanging: the cycle did not wait for it

        shutil.move(bare_remote.path, tmp_path / "gone.git")
        assert reconcile(config, store, cache=tmp_path / "c", force=True, notifier=notifier).failed
        slack.wait(2)
        failed = slack.received[1].json["attachments"][0]
        assert failed["color"] == "danger"
        assert {"title": "failures", "value": "1", "short": False} in failed["fields"]

        shutil.move(tmp_path / "gone.git", bare_remote.path)
        assert not reconcile(
            config, store, cache=tmp_path / "c", force=True, notifier=notifier
        ).failed
        slack.wait(3)
        assert slack.received[2].json["attachments"][0]["text"] == "recovered after 1 failure(s)"
        dispatcher.stop(timeout=0.1)
