"""Stalled objects in one-shot cycles: a configuration error (a commit message template that
cannot render, an image repository the registry does not know) is reported as ``Stalled``
once, not again on each run while it is unchanged; fixing it is reported as a recovery
(real registry, real git remote, a local generic receiver)."""

from __future__ import annotations

import uuid
from pathlib import Path

from automation.config import load_config
from automation.notify.delivery import Dispatcher, http_sender
from automation.notify.notifier import Notifier
from automation.reconcile import reconcile
from automation.state import open_store
from tests.rig.git_remotes import GitRemote, seed
from tests.rig.images import push_image
from tests.rig.receivers import Receiver, serve_receiver
from tests.rig.registry import RegistryServer
from tests.test_reconcile import DEPLOY, policies

NOTIFY = """\
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {{name: hook, namespace: apps}}
spec: {{type: generic, address: "{url}"}}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {{name: errors, namespace: apps}}
spec:
  providerRef: {{name: hook}}
  eventSources:
    - {{kind: ImageRepository, name: "*"}}
    - {{kind: ImagePolicy, name: "*"}}
    - {{kind: ImageUpdateAutomation, name: "*"}}
"""
GOOD = "Update {{ .AutomationObject }}"
BAD = "Update {{ .Nope }}"


def errors(receiver: Receiver) -> list[tuple[str, str, str]]:
    return [
        (r.json["involvedObject"]["kind"], r.json["reason"], r.json["message"])
        for r in receiver.received
        if r.json["severity"] == "error"
    ]


def messages(receiver: Receiver) -> list[str]:
    return [r.json["message"] for r in receiver.received]


def test_a_stalled_automation_is_reported_once_and_its_fix_recovers(
    registry: RegistryServer, bare_remote: GitRemote, tmp_path: Path
) -> None:
    repo = f"e2e/app-{uuid.uuid4().hex[:8]}"
    seed(bare_remote, {"clusters/app.yaml": DEPLOY.format(image=f"{registry.host}/{repo}")}, "app")
    push_image(registry, repo, "1.1.0")
    (tmp_path / "p").mkdir()
    with serve_receiver() as hook:
        text = policies(registry, repo, bare_remote) + NOTIFY.format(url=hook.url)
        assert GOOD in text
        (tmp_path / "p" / "all.yaml").write_text(text.replace(GOOD, BAD))
        store = open_store(tmp_path / "state.db")
        dispatcher = Dispatcher(http_sender(timeout=10.0), workers=1).start()

        def cycle() -> bool:
            config = load_config([tmp_path / "p"])
            notifier = Notifier(config, dispatcher)
            return reconcile(config, store, cache=tmp_path / "c", force=True, notifier=notifier)

        try:
            assert cycle().failed
            hook.wait(2)  # the policy's new tag, and the automation stalled
            [(kind, reason, message)] = errors(hook)
            assert (kind, reason) == ("ImageUpdateAutomation", "Stalled")
            assert "can't evaluate field Nope" in message
            assert cycle().failed and cycle().failed
            assert len(hook.wait(3, timeout=1.0)) == 2  # unchanged: not reported again

            (tmp_path / "p" / "all.yaml").write_text(text)  # fixed
            assert not cycle().failed
            hook.wait(4)
            assert "recovered after 3 failure(s)" in messages(hook)[2:]
            assert len(errors(hook)) == 1
        finally:
            dispatcher.stop(timeout=1.0)
        record = store.get_automation("apps/fleet")
        assert record is not None and not record.last_error


def test_an_unknown_repository_stalls_its_scan(
    registry: RegistryServer, bare_remote: GitRemote, tmp_path: Path
) -> None:
    repo = f"e2e/missing-{uuid.uuid4().hex[:8]}"  # never pushed: the registry answers 404
    seed(bare_remote, {"clusters/app.yaml": DEPLOY.format(image=f"{registry.host}/{repo}")}, "app")
    (tmp_path / "p").mkdir()
    with serve_receiver() as hook:
        text = policies(registry, repo, bare_remote) + NOTIFY.format(url=hook.url)
        (tmp_path / "p" / "all.yaml").write_text(text)
        config = load_config([tmp_path / "p"])
        store = open_store(tmp_path / "state.db")
        dispatcher = Dispatcher(http_sender(timeout=10.0), workers=1).start()
        try:
            notifier = Notifier(config, dispatcher)
            assert reconcile(config, store, cache=tmp_path / "c", notifier=notifier).failed
            hook.wait(1)
            assert [(k, r) for k, r, _ in errors(hook)] == [("ImageRepository", "Stalled")]
            assert reconcile(
                config, store, cache=tmp_path / "c", force=True, notifier=notifier
            ).failed
            assert len(hook.wait(2, timeout=1.0)) == 1
            assert (
                "404" in hook.received[0].json["message"]
                or "unknown" in str(hook.received[0].json["message"]).lower()
            )
        finally:
            dispatcher.stop(timeout=1.0)
