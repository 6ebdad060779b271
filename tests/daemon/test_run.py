"""`run` as a subprocess against the real registry and real git remotes."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from automation.config import load_config
from automation.reconcile import reconcile
from automation.state import open_store
from tests.daemon.daemonproc import DEPLOY, StartDaemon, policies, wait_until
from tests.rig.git_remotes import GitRemote, head, init_bare, log, read_file_at, seed
from tests.rig.images import push_image
from tests.rig.registry import RegistryServer


def _world(registry: RegistryServer, remote: GitRemote) -> tuple[str, str]:
    repo = f"daemon/app-{uuid.uuid4().hex[:8]}"
    image = f"{registry.host}/{repo}"
    seed(remote, {"clusters/app.yaml": DEPLOY.format(image=image)}, "add app")
    push_image(registry, repo, "1.0.0")
    return repo, image


def test_new_tag_lands_on_the_remote_within_the_scan_interval(
    registry: RegistryServer, bare_remote: GitRemote, tmp_path: Path, start_daemon: StartDaemon
) -> None:
    repo, image = _world(registry, bare_remote)
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "all.yaml").write_text(policies(registry, repo, bare_remote.file_url))
    daemon = start_daemon(str(folder))
    daemon.wait_for_log(lambda m: m.startswith("policy apps/app: latest"), 5)
    before = head(bare_remote, "main")

    push_image(registry, repo, "1.1.0")
    pushed_at = time.monotonic()
    wait_until(
        lambda: "1.1.0" in read_file_at(bare_remote, "main", "clusters/app.yaml"), 15, daemon
    )

    # At most 1.5 scan intervals (2 s) plus the git round trip; the automation's is 1 h.
    assert time.monotonic() - pushed_at < 3 + 5
    assert read_file_at(bare_remote, "main", "clusters/app.yaml") == DEPLOY.format(
        image=image
    ).replace(f"{image}:1.0.0", f"{image}:1.1.0")
    assert log(bare_remote, "main")[0] == "Update apps/fleet"
    assert head(bare_remote, "main") != before
    # The remote moves before the daemon logs the push it returned from.
    daemon.wait_for_log(lambda m: m.startswith("automation apps/fleet: pushed"), 5)
    lines = daemon.lines()
    pushed = [x for x in lines if str(x.get("msg", "")).startswith("automation apps/fleet: pushed")]
    assert pushed and pushed[-1]["commit"] == head(bare_remote, "main")
    assert any(x.get("object") == "apps/app" and "1.1.0" in str(x.get("latest")) for x in lines)
    assert daemon.terminate() == 0


def test_policy_committed_to_git_takes_effect_and_a_broken_one_is_reported(
    registry: RegistryServer,
    bare_remote: GitRemote,
    tmp_path: Path,
    start_daemon: StartDaemon,
) -> None:
    repo, image = _world(registry, bare_remote)
    push_image(registry, repo, "2.0.0")
    policy_repo = tmp_path / "policy-repo.git"
    policy_repo.mkdir()
    init_bare(policy_repo)
    text = policies(registry, repo, bare_remote.file_url)
    seed(policy_repo, {"policies/all.yaml": text}, "policies")
    source = f"git+{policy_repo.as_uri()}#main:policies"
    daemon = start_daemon(source)
    daemon.wait_for_log(lambda m: m.startswith("policy apps/app: latest") and ":1.0.0" in m)

    seed(policy_repo, {"policies/all.yaml": "kind: [unclosed\n"}, "broken")
    error = daemon.wait_for_log(lambda m: m.startswith("config reload failed"), 10)
    assert f"git+{policy_repo.as_uri()}#main:policies/all.yaml:" in error
    assert daemon.popen.poll() is None  # the last good config stays in force

    seed(policy_repo, {"policies/all.yaml": text.replace('"^1.0"', '"^2.0"')}, "go 2.x")
    wait_until(
        lambda: "2.0.0" in read_file_at(bare_remote, "main", "clusters/app.yaml"), 15, daemon
    )
    assert read_file_at(bare_remote, "main", "clusters/app.yaml") == DEPLOY.format(
        image=image
    ).replace(f"{image}:1.0.0", f"{image}:2.0.0")

    without_repo = text.replace('"^1.0"', '"^2.0"').split("---\n")
    del without_repo[1]  # the ImageRepository
    seed(policy_repo, {"policies/all.yaml": "---\n".join(without_repo)}, "drop the repository")
    daemon.wait_for_log(lambda m: m == "unscheduled scan:apps/app", 10)
    assert daemon.terminate() == 0


def test_sigterm_during_a_push_lets_it_finish_and_leaves_a_consistent_state(
    registry: RegistryServer,
    bare_remote: GitRemote,
    tmp_path: Path,
    start_daemon: StartDaemon,
) -> None:
    repo, _image = _world(registry, bare_remote)
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "all.yaml").write_text(policies(registry, repo, bare_remote.file_url))
    marker = tmp_path / "push-started"
    hook = bare_remote.path / "hooks" / "pre-receive"
    hook.write_text(f"#!/bin/sh\ncat >/dev/null\ntouch {marker}\nsleep 2\n")
    hook.chmod(0o755)
    before = head(bare_remote, "main")
    push_image(registry, repo, "1.2.0")
    daemon = start_daemon(str(folder))

    wait_until(marker.exists, 15, daemon)
    assert daemon.terminate() == 0  # waited for the push instead of dying under it

    messages = daemon.messages()
    (stopping,) = [line for line in daemon.lines() if line.get("msg") == "stopping"]
    assert stopping["running"] == ["automation:apps/fleet"]  # SIGTERM came mid-cycle
    assert messages[-1] == "stopped"
    assert any(m.startswith("automation apps/fleet: pushed") for m in messages)
    landed = head(bare_remote, "main")
    assert landed != before  # the whole commit, content and message together
    assert "1.2.0" in read_file_at(bare_remote, "main", "clusters/app.yaml")
    assert log(bare_remote, "main")[0] == "Update apps/fleet"
    store = open_store(daemon.state)
    record = store.get_automation("apps/fleet")
    assert record is not None and record.last_push_commit == landed and not record.last_error
    policy = store.get_policy("apps/app")
    assert policy is not None and policy.latest_ref is not None
    assert policy.latest_ref.tag == "1.2.0"
    store.close()

    # A second, forced cycle finds the work done: no new commit, no error.
    hook.unlink()
    store = open_store(daemon.state)
    report = reconcile(load_config([folder]), store, cache=tmp_path / "cache", force=True)
    store.close()
    assert not report.failed, report
    assert not report.automations[0].commit and head(bare_remote, "main") == landed
