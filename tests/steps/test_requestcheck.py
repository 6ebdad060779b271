"""validate's checks across ChangeRequests, Providers and Alerts."""

from __future__ import annotations

from pathlib import Path

from automation.config import load_config
from automation.steps.crosscheck import crosscheck

BASE = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet, namespace: apps}
spec: {url: "https://example.com/fleet.git", ref: {branch: main}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: fleet, namespace: apps}
spec:
  interval: 1h
  sourceRef: {kind: GitRepository, name: fleet}
  git: {commit: {author: {email: bot@example.com}}}
---
apiVersion: requests.image-automation.io/v1alpha1
kind: ChangeRequest
metadata: {name: one, namespace: apps}
spec:
  automationRef: {name: fleet}
  provider: gitea
  repository: org/fleet
  secretRef: {name: token}
  title: "{{ .Nope }"
---
apiVersion: requests.image-automation.io/v1alpha1
kind: ChangeRequest
metadata: {name: two, namespace: apps}
spec:
  {automationRef: {name: fleet}, provider: github, repository: org/fleet, secretRef: {name: token}}
---
apiVersion: requests.image-automation.io/v1alpha1
kind: ChangeRequest
metadata: {name: three, namespace: apps}
spec: {automationRef: {name: gone}, provider: gitlab, repository: g/p, secretRef: {name: token}}
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata: {name: a, namespace: apps}
spec: {providerRef: {name: missing}, eventSources: [{kind: ImagePolicy, name: "*"}]}
"""


def test_dangling_duplicate_and_unparsable_requests_and_alerts(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(BASE)
    errors = {(e.field, e.message.split(":")[0]) for e in crosscheck(load_config([tmp_path]))}
    fields = sorted(field for field, _ in errors)
    assert fields == [
        "spec.automationRef",
        "spec.automationRef",
        "spec.providerRef",
        "spec.title",
    ]
    messages = " | ".join(m for _, m in errors)
    assert "ImageUpdateAutomation apps/gone not found" in messages
    assert "ChangeRequest apps/one already opens requests for apps/fleet" in messages
    assert "Provider apps/missing not found" in messages
