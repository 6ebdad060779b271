"""Source links end to end: images pushed to the real rig registry with OCI source labels; a
reconcile commits a message whose template uses ``.Sources``, posts the links in notification
payloads (local generic and Slack-shaped receivers), and a ChangeRequest body carries the
compare link on a local forge server that answers as the forge's REST reference says
(tests/rig/forge_*.py: no forge can run on this machine)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from automation.config import ImageRepository, load_config
from automation.notify.delivery import Dispatcher, http_sender
from automation.notify.notifier import Notifier
from automation.notify.payloads import build
from automation.reconcile import reconcile
from automation.reference import LatestRef
from automation.sourcelinks import ImageSource, SourceChange
from automation.state import open_store
from automation.steps.evaluate import PolicyOutcome
from automation.steps.events import policy_event
from automation.steps.scan import DigestResolver
from tests.notify.test_cycle_events import SECRET as SLACK_SECRET
from tests.rig.forge_servers import serve_forge
from tests.rig.forges import TOKEN, ForgeRig
from tests.rig.git_remotes import GitRemote, log, read_file_at, seed
from tests.rig.images import push_image
from tests.rig.receivers import serve_receiver
from tests.rig.registry import RegistryServer
from tests.steps.test_requests import SECRET as TOKEN_SECRET
from tests.test_reconcile import DEPLOY, policies

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
A = "0123456789abcdef0123456789abcdef01234567"
B = "fedcba9876543210fedcba9876543210fedcba98"
SOURCE = "https://github.com/acme/web"
COMPARE = f"{SOURCE}/compare/{A}...{B}"
MESSAGE_END = "        {{ end -}}\n"
WITH_SOURCES = (
    MESSAGE_END
    + "        {{ range .Sources }}Source: {{ .Source }}\n"
    + "        Compare: {{ .CompareURL }}\n"
    + "        {{ end -}}\n"
)
NOTIFY = """\
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {{name: hook, namespace: apps}}
spec: {{type: generic, address: "{generic}"}}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata: {{name: chat, namespace: apps}}
spec: {{type: slack, secretRef: {{name: slack-url}}}}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {{name: all, namespace: apps}}
spec:
  providerRef: {{name: hook}}
  eventSources: [{{kind: ImagePolicy, name: "*"}}, {{kind: ImageUpdateAutomation, name: "*"}}]
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {{name: chat, namespace: apps}}
spec:
  providerRef: {{name: chat}}
  eventSources: [{{kind: ImagePolicy, name: app}}]
"""


def labels(revision: str, version: str) -> dict[str, str]:
    return {
        "org.opencontainers.image.source": f"{SOURCE}.git",
        "org.opencontainers.image.revision": revision,
        "org.opencontainers.image.version": version,
    }


def meta(received: list[object], kind: str) -> dict[str, str]:
    [found] = [r.json for r in received if r.json["involvedObject"]["kind"] == kind]  # type: ignore[attr-defined]
    return dict(found["metadata"])


def test_commit_message_and_notifications_carry_source_and_compare_links(
    registry: RegistryServer,
    bare_remote: GitRemote,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = f"e2e/app-{uuid.uuid4().hex[:8]}"
    image = f"{registry.host}/{repo}"
    seed(bare_remote, {"clusters/app.yaml": DEPLOY.format(image=image)}, "add app")
    push_image(registry, repo, "1.0.0", labels=labels(A, "1.0.0"))
    text = policies(registry, repo, bare_remote)
    assert MESSAGE_END in text
    (tmp_path / "p").mkdir()
    with serve_receiver() as generic, serve_receiver() as slack:
        notify = NOTIFY.format(generic=generic.url)
        (tmp_path / "p" / "all.yaml").write_text(text.replace(MESSAGE_END, WITH_SOURCES) + notify)
        (tmp_path / "secrets.yaml").write_text(SLACK_SECRET.format(url=slack.url))
        config = load_config([tmp_path / "p"], [tmp_path / "secrets.yaml"])
        store = open_store(tmp_path / "state.db")
        dispatcher = Dispatcher(http_sender(timeout=10.0), workers=2).start()
        notifier = Notifier(config, dispatcher)
        try:
            # First selection: a source link, nothing to compare with yet.
            assert not reconcile(config, store, cache=tmp_path / "c", notifier=notifier).failed
            first = log(bare_remote, "main")[0]
            assert first.endswith(f"\nSource: {SOURCE}.git\nCompare: "), first  # the label as is
            generic.wait(2)
            assert meta(generic.received, "ImagePolicy")["source"] == f"{SOURCE}.git"
            assert "compare" not in meta(generic.received, "ImagePolicy")

            pushed = push_image(registry, repo, "1.1.0", labels=labels(B, "1.1.0"))
            generic.received.clear()
            again = reconcile(config, store, cache=tmp_path / "c", force=True, notifier=notifier)
            assert not again.failed
            assert f"{image}:1.1.0@{pushed.digest}" in read_file_at(
                bare_remote, "main", "clusters/app.yaml"
            )
            assert log(bare_remote, "main")[0] == (
                f"Update apps/fleet\n- {image}:1.0.0@"
                + log(bare_remote, "main")[0].split(f"{image}:1.0.0@")[1].split(" ")[0]
                + f" -> {image}:1.1.0@{pushed.digest}\nSource: {SOURCE}.git\nCompare: {COMPARE}"
            )
            generic.wait(2)
            policy = meta(generic.received, "ImagePolicy")
            assert "revision" not in policy  # commit-status providers would mark that sha
            assert (policy["compare"], policy["sourceRevision"], policy["sourceVersion"]) == (
                COMPARE,
                B,
                "1.1.0",
            )
            pushed_meta = meta(generic.received, "ImageUpdateAutomation")
            assert pushed_meta["compare"] == COMPARE
            assert pushed_meta["revision"] == f"main@sha1:{again.automations[0].commit}"
            slack.wait(2)
            fields = slack.received[1].json["attachments"][0]["fields"]
            assert {"title": "compare", "value": COMPARE, "short": False} in fields

            # Nothing new to write: the registry is not asked for sources at all.
            reads: list[str] = []
            original = DigestResolver.source

            async def counted(
                self: DigestResolver, repo: ImageRepository, tag: str, digest: str = ""
            ) -> ImageSource:
                reads.append(tag)
                return await original(self, repo, tag, digest)

            monkeypatch.setattr(DigestResolver, "source", counted)
            third = reconcile(config, store, cache=tmp_path / "c", force=True, notifier=notifier)
            assert not third.failed and not third.automations[0].commit and reads == []
        finally:
            dispatcher.stop(timeout=1.0)


REQUEST = """\
---
apiVersion: requests.image-automation.io/v1alpha1
kind: ChangeRequest
metadata:
  name: fleet
  namespace: apps
  annotations: {{config.kubernetes.io/local-config: "true"}}
spec:
  automationRef: {{name: fleet}}
  provider: {rig.kind}
  address: {rig.url}
  insecure: true
  repository: {rig.repository}
  secretRef: {{name: forge-token}}
  branch: images
{body}"""
BODY = """\
  body: |
    {{ range .Sources }}Review {{ .Image }} {{ .OldTag }} -> {{ .NewTag }}: {{ .CompareURL }}
    {{ end }}"""


@pytest.fixture(params=["github", "gitlab", "gitea"])
def rig(request: pytest.FixtureRequest, bare_remote: GitRemote) -> Iterator[ForgeRig]:
    yield from serve_forge(request.param, bare_remote.path)


@pytest.mark.parametrize("body", [BODY, ""], ids=["template", "default"])
def test_a_request_body_carries_the_compare_link(
    registry: RegistryServer, bare_remote: GitRemote, rig: ForgeRig, tmp_path: Path, body: str
) -> None:
    repo = f"e2e/app-{uuid.uuid4().hex[:8]}"
    image = f"{registry.host}/{repo}"
    seed(bare_remote, {"clusters/app.yaml": DEPLOY.format(image=image)}, "add app")
    push_image(registry, repo, "1.0.0", labels=labels(A, "1.0.0"))
    (tmp_path / "p.yaml").write_text(
        policies(registry, repo, bare_remote) + REQUEST.format(rig=rig, body=body)
    )
    (tmp_path / "secrets.yaml").write_text(TOKEN_SECRET)
    config = load_config([tmp_path / "p.yaml"], [tmp_path / "secrets.yaml"])
    store = open_store(tmp_path / "state.db")
    assert not reconcile(config, store, cache=tmp_path / "c").failed
    push_image(registry, repo, "1.1.0", labels=labels(B, "1.1.0"))
    report = reconcile(config, store, cache=tmp_path / "c", force=True)
    assert not report.failed, report
    assert report.automations[0].request.startswith("updated request #1")
    [pull] = rig.pulls
    if body:
        assert f"Review {image} 1.0.0 -> 1.1.0: {COMPARE}\n" in pull.body
    else:
        assert f"Source changes:\n- {image}: 1.0.0 -> 1.1.0 {COMPARE}\n" in pull.body
    assert TOKEN not in pull.body


def test_an_image_revision_never_becomes_a_commit_status(tmp_path: Path) -> None:
    """A policy event names the image's git revision, in another repository: a commit-status
    provider for the fleet repository must not mark it, even a label shaped like Flux's
    ``branch@sha1:<sha>``."""
    (tmp_path / "p.yaml").write_text(
        "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\n"
        "metadata: {name: app, namespace: apps}\n"
        "spec: {imageRepositoryRef: {name: app}, policy: {semver: {range: '^1'}}}\n"
    )
    config = load_config([tmp_path / "p.yaml"])
    change = SourceChange(
        "apps/app",
        "ghcr.io/acme/web",
        "1.0.0",
        "1.1.0",
        ImageSource(SOURCE, A),
        ImageSource(SOURCE, f"main@sha1:{B}"),
    )
    outcome = PolicyOutcome(
        "apps/app",
        LatestRef("ghcr.io/acme/web", "1.1.0"),
        LatestRef("ghcr.io/acme/web", "1.0.0"),
        changed=True,
        source=change,
    )
    event = policy_event(config, outcome, NOW)
    assert event is not None and event.metadata["sourceRevision"] == f"main@sha1:{B}"
    secret = {"token": b"t"}
    for kind in ("github", "gitlab", "gitea"):
        address = "https://github.com/acme/fleet"
        assert build("apps/st", kind, event, address=address, secret=secret) is None
