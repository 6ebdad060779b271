"""Automations with a ChangeRequest, end to end: real git pushes to a bare remote, requests
on a local forge server that answers as GitHub, GitLab or Gitea's REST reference says
(tests/rig/forge_*.py)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from automation.cli import main
from automation.config import load_config
from automation.errors import ConfigErrors
from automation.reference import LatestRef
from automation.state import PolicyRecord, StateStore, open_store
from automation.steps.automate import AutomationOutcome, run_automation
from tests.rig.forge_servers import serve_forge
from tests.rig.forges import TOKEN, ForgeRig
from tests.rig.git_remotes import GitRemote, clone_and_commit, git, head, read_file_at, seed

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: prod}
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/org/app:1.0.0 # {"$imagepolicy": "apps:app"}
"""
BRANCH = "image-updates/fleet"
TITLE = (
    "Images: {{ range $i, $c := .Changed.Changes }}{{ if $i }}, {{ end }}{{ $c.NewValue }}{{ end }}"
)


def policies(remote: GitRemote, rig: ForgeRig) -> str:
    return textwrap.dedent(f"""\
        apiVersion: source.toolkit.fluxcd.io/v1
        kind: GitRepository
        metadata: {{name: fleet, namespace: apps}}
        spec: {{url: "{remote.file_url}", ref: {{branch: main}}}}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageRepository
        metadata: {{name: app, namespace: apps}}
        spec: {{image: ghcr.io/org/app, interval: 1h}}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImagePolicy
        metadata: {{name: app, namespace: apps}}
        spec:
          imageRepositoryRef: {{name: app}}
          policy: {{semver: {{range: "^1.0"}}}}
        ---
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageUpdateAutomation
        metadata: {{name: fleet, namespace: apps}}
        spec:
          interval: 1h
          sourceRef: {{kind: GitRepository, name: fleet}}
          git:
            commit: {{author: {{name: bot, email: bot@example.com}}}}
          update: {{path: ./clusters}}
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
          insecure: true                 # the rig serves plain http on loopback
          repository: {rig.repository}
          secretRef: {{name: forge-token}}
          branch: "{BRANCH}"
          title: "{TITLE}"
          labels: [images]
          assignees: [alice]
          reviewers: [bob]
        """)


SECRET = f"""\
apiVersion: v1
kind: Secret
metadata: {{name: forge-token, namespace: apps}}
stringData: {{token: {TOKEN}}}
"""


@pytest.fixture(params=["github", "gitlab", "gitea"])
def rig(request: pytest.FixtureRequest, bare_remote: GitRemote) -> Iterator[ForgeRig]:
    yield from serve_forge(request.param, bare_remote.path)


def world(tmp_path: Path, remote: GitRemote, rig: ForgeRig, token: str = TOKEN) -> StateStore:
    seed(remote, {"clusters/app.yaml": DEPLOY}, "add app")
    (tmp_path / "p.yaml").write_text(policies(remote, rig))
    (tmp_path / "secrets.yaml").write_text(SECRET.replace(TOKEN, token))
    return open_store(tmp_path / "state.db")


def select(store: StateStore, tag: str) -> None:
    ref = LatestRef("ghcr.io/org/app", tag)
    store.record_policy(PolicyRecord("apps/app", latest_ref=ref), reason="new tag", now=NOW)


def run(tmp_path: Path, store: StateStore) -> AutomationOutcome:
    config = load_config([tmp_path / "p.yaml"], [tmp_path / "secrets.yaml"])
    auto = next(iter(config.automations.values()))
    return run_automation(config, store, auto, tmp_path / "cache", NOW, force=True)


def request_of(tmp_path: Path, store: StateStore) -> str:
    outcome = run(tmp_path, store)
    assert not outcome.error, outcome.error
    return outcome.request


def test_a_release_opens_one_request_the_next_updates_it_a_stale_branch_is_rebuilt(
    tmp_path: Path, bare_remote: GitRemote, rig: ForgeRig
) -> None:
    store = world(tmp_path, bare_remote, rig)
    main_before = head(bare_remote, "main")
    other = clone_and_commit(bare_remote, {"x.txt": "mine\n"}, "unrelated", branch="feature")

    select(store, "1.1.0")
    assert request_of(tmp_path, store).startswith("created request #1")
    assert head(bare_remote, "main") == main_before  # the checkout branch is never pushed
    assert "ghcr.io/org/app:1.1.0" in read_file_at(bare_remote, BRANCH, "clusters/app.yaml")
    [pull] = rig.pulls
    assert (pull.head, pull.base, pull.state) == (BRANCH, "main", "open")
    assert pull.title == "Images: ghcr.io/org/app:1.1.0"
    assert "ghcr.io/org/app:1.0.0 -> ghcr.io/org/app:1.1.0" in pull.body
    assert "<!-- image-automation: apps/fleet -->" in pull.body
    assert pull.labels in (["images"], [3]) and pull.assignees in (["alice"], [7])
    assert pull.reviewers in (["bob"], [8])

    first = head(bare_remote, BRANCH)
    select(store, "1.2.0")
    assert request_of(tmp_path, store).startswith("updated request #1")
    assert len(rig.pulls) == 1 and rig.pulls[0].title == "Images: ghcr.io/org/app:1.2.0"
    second = head(bare_remote, BRANCH)
    assert first and second and first != second
    git("merge-base", "--is-ancestor", first, second, cwd=bare_remote.path)  # fast-forward

    assert request_of(tmp_path, store).startswith("unchanged request #1")  # no push, no edit
    assert head(bare_remote, BRANCH) == second

    moved = clone_and_commit(bare_remote, {"other.txt": "x\n"}, "someone else")
    assert request_of(tmp_path, store).startswith("unchanged request #1")
    rebuilt = head(bare_remote, BRANCH)
    assert rebuilt != second
    assert git("rev-parse", f"{rebuilt}^", cwd=bare_remote.path).strip() == moved
    assert head(bare_remote, "main") == moved and head(bare_remote, "feature") == other
    assert len(rig.pulls) == 1


def test_a_wrong_token_is_an_error_that_never_shows_the_token(
    tmp_path: Path, bare_remote: GitRemote, rig: ForgeRig
) -> None:
    store = world(tmp_path, bare_remote, rig, token="wrong-token-123")
    select(store, "1.1.0")
    outcome = run(tmp_path, store)
    assert "HTTP 401" in outcome.error and "wrong-token-123" not in outcome.error
    record = store.get_automation("apps/fleet")
    assert record is not None and "wrong-token-123" not in record.last_error
    assert rig.pulls == []


def test_get_requests_lists_the_open_requests_of_each_automation(
    tmp_path: Path, bare_remote: GitRemote, rig: ForgeRig, capsys: pytest.CaptureFixture[str]
) -> None:
    store = world(tmp_path, bare_remote, rig)
    rig.add_pull("feature", "main", "a human's request", "no marker")
    select(store, "1.1.0")
    assert request_of(tmp_path, store).startswith("created request #2")
    capsys.readouterr()
    args = [str(tmp_path / "p.yaml"), "--secrets", str(tmp_path / "secrets.yaml"), "-o", "json"]
    assert main(["get", "requests", *args]) == 0
    [item] = json.loads(capsys.readouterr().out)["items"]
    assert (item["automation"], item["number"], item["branch"]) == ("apps/fleet", 2, BRANCH)
    assert item["title"] == "Images: ghcr.io/org/app:1.1.0"


def test_a_branch_per_change_set_closes_the_superseded_request(
    tmp_path: Path, bare_remote: GitRemote, rig: ForgeRig
) -> None:
    store = world(tmp_path, bare_remote, rig)
    per_change = (
        'branch: "images/{{ range .Changed.Changes }}'
        '{{ .NewValue | replace \\":\\" \\"-\\" | replace \\"/\\" \\"-\\" }}{{ end }}"'
    )
    text = (tmp_path / "p.yaml").read_text().replace(f'branch: "{BRANCH}"', per_change)
    (tmp_path / "p.yaml").write_text(text)
    select(store, "1.1.0")
    assert request_of(tmp_path, store).startswith("created request #1")
    select(store, "1.2.0")
    outcome = request_of(tmp_path, store)
    assert outcome.startswith("created request #2 ") and outcome.endswith("; closed superseded #1")
    assert [(p.head, p.state) for p in rig.pulls] == [
        ("images/ghcr.io-org-app-1.1.0", "closed"),
        ("images/ghcr.io-org-app-1.2.0", "open"),
    ]
    assert head(bare_remote, "images/ghcr.io-org-app-1.1.0") is not None  # never deleted


def test_a_suspended_request_pushes_nothing_anywhere(
    tmp_path: Path, bare_remote: GitRemote, rig: ForgeRig
) -> None:
    store = world(tmp_path, bare_remote, rig)
    text = (tmp_path / "p.yaml").read_text().replace("  labels: [images]", "  suspend: true")
    (tmp_path / "p.yaml").write_text(text)
    main_before = head(bare_remote, "main")
    select(store, "1.1.0")
    assert run(tmp_path, store).skipped == "change request suspended"
    assert head(bare_remote, "main") == main_before and head(bare_remote, BRANCH) is None
    assert rig.log == []


def test_a_plain_http_forge_needs_insecure(
    tmp_path: Path, bare_remote: GitRemote, rig: ForgeRig
) -> None:
    world(tmp_path, bare_remote, rig)
    text = (tmp_path / "p.yaml").read_text().replace("  insecure: true", "  insecure: false")
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(ConfigErrors, match="plain http: the token would travel unencrypted"):
        load_config([tmp_path / "p.yaml"])
