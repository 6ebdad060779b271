"""Receivers read from YAML the way the loader will once the kind is registered, and the
cross-checks a config check should run on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from automation.config import loader
from automation.config.base import ObjectKey, SourceLocation
from automation.config.documents import read_documents
from automation.config.receiver import Receiver
from automation.errors import ConfigErrors
from automation.server import check_receivers
from tests.server.conftest import receiver, secret

GROUP = "notification.toolkit.fluxcd.io"

RECEIVERS = """\
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: ghcr
  namespace: apps
spec:
  type: github
  events: ["package"]
  secretRef:
    name: webhook-token
  resources:
    - kind: ImageRepository
      name: app
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: quay
spec:
  type: quay
  secretRef:
    name: quay-token
  events: [push]
"""


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The three lines the lead adds to automation/config/loader.py, applied for the test."""
    monkeypatch.setitem(loader.KINDS, (GROUP, "Receiver"), Receiver)
    monkeypatch.setitem(loader.VERSIONS, GROUP, ("v1", "v1beta2"))
    monkeypatch.setattr(loader, "OUR_GROUPS", (*loader.OUR_GROUPS, GROUP))


@pytest.mark.usefixtures("registered")
def test_loader_parses_receivers_and_points_at_the_bad_field(tmp_path: Path) -> None:
    file = tmp_path / "receivers.yaml"
    file.write_text(RECEIVERS)
    first, second = read_documents(file)
    hook = loader.parse_object(first)
    assert isinstance(hook, Receiver)
    assert (hook.key, hook.source) == (ObjectKey("apps", "ghcr"), SourceLocation(str(file), 1))
    with pytest.raises(ConfigErrors) as err:
        loader.parse_object(second)
    assert str(err.value) == (
        f"{file}:19: spec: spec.events filters github and harbor events only; remove it for "
        "quay (in Receiver quay at line 15)"
    )


@pytest.mark.usefixtures("registered")
def test_loader_rejects_an_unknown_receiver_version(tmp_path: Path) -> None:
    file = tmp_path / "receivers.yaml"
    file.write_text(RECEIVERS.replace("/v1\n", "/v2\n", 1))
    with pytest.raises(Exception, match="unsupported version"):
        loader.parse_object(next(read_documents(file)))


def test_check_receivers_reports_every_problem() -> None:
    at = SourceLocation("hooks.yaml", 1)
    resources = [
        {"kind": "ImageRepository", "name": "app"},
        {"kind": "ImageRepository", "name": "gone"},
        {"kind": "ImageRepository", "name": "*", "namespace": "empty"},
    ]
    a = receiver("c", "quay", resources=resources).located(at)
    # token "ab" + name "c" and token "a" + name "bc" spell one path
    b = receiver("bc", "quay").located(SourceLocation("hooks.yaml", 9))
    orphan = receiver("o", "quay").located(SourceLocation("hooks.yaml", 20))
    secrets = {
        ObjectKey("default", "c-token"): secret("c-token", "ab"),
        ObjectKey("default", "bc-token"): secret("bc-token", "a"),
    }
    errors = check_receivers([a, b, orphan], secrets, [ObjectKey("default", "app")])  # type: ignore[list-item]
    assert [str(e) for e in errors] == [
        "hooks.yaml:1: spec.resources[1]: ImageRepository default/gone not found",
        "hooks.yaml:9: spec.secretRef: same webhook path as Receiver default/c: "
        "choose another token",
        "hooks.yaml:20: spec.secretRef: Secret default/o-token not found "
        "(give the secrets path with --secrets)",
    ]
