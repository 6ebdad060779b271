"""Several `run` replicas on one real PostgreSQL database, the real registry, real git remotes.

Replicas are separate processes sharing only the database: leases decide who runs what, a
killed replica's work is taken over after its lease TTL, a terminated one hands it back at
once, and every change lands exactly once however the work moved between replicas.
"""

from __future__ import annotations

import asyncio
import os
import signal
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from automation.config import ImageUpdateAutomation, ObjectKey, load_config
from automation.daemon.chain import BRANCH_BUSY_RETRY, Chain
from automation.daemon.plan import desired_jobs
from automation.daemon.replicas import ReplicaOptions, SharedScheduler, git_lock_name, shard_of
from automation.daemon.scheduler import JobFunc, utc_now
from automation.server import webhook_path
from automation.state import open_store
from automation.state.leases import LeaseBoard
from automation.state.postgres import PostgresStore, open_server
from tests.daemon.daemonproc import DaemonProcess, StartDaemon, wait_until
from tests.daemon.replicaworld import Fleet, make_fleet, policy_text, silent_registry
from tests.rig.git_remotes import git, read_file_at
from tests.rig.images import push_tags, unique_repo
from tests.rig.ports import free_port
from tests.rig.postgres import PostgresServer
from tests.rig.registry import RegistryServer

TTL = 2.0


def replica(
    start: StartDaemon, policies: Path, url: str, name: str, *extra: str
) -> tuple[DaemonProcess, int]:
    port = free_port()
    # Each replica clones into a cache of its own, as each pod has its own emptyDir: a git
    # workspace is locked within one process only.
    cache = str(policies.parent / f"cache-{name}")
    args = ("--state", url, "--replica-id", name, "--listen", f"127.0.0.1:{port}", "--cache", cache)
    args = (*args, *extra)
    return start(str(policies), extra=args, name=name), port


def held_by(store: PostgresStore, name: str) -> set[str]:
    """The jobs `name` holds an unexpired lease on now."""
    board = LeaseBoard(store, "observer", timedelta(seconds=1))
    return {job for job, holder in board.holders().items() if holder == name}


def ready(port: int) -> int:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code
    except httpx.HTTPError:
        return 0


def test_three_replicas_survive_a_kill_and_a_database_restart_changing_everything_once(
    registry: RegistryServer,
    postgres_server: PostgresServer,
    postgres_url: str,
    tmp_path: Path,
    start_daemon: StartDaemon,
) -> None:
    n = 30
    repos = [unique_repo("replica") for _ in range(n)]
    for repo in repos:
        push_tags(registry, repo, ["1.0.0"])
    fleet = make_fleet(tmp_path, registry.host, repos, 3)
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "all.yaml").write_text(policy_text(fleet, "2s"))
    ttl = ("--lease-ttl", f"{TTL:g}s", "--jitter", "0s")
    a, _ = replica(start_daemon, folder, postgres_url, "replica-a", *ttl)
    b, port_b = replica(start_daemon, folder, postgres_url, "replica-b", *ttl)
    c, _ = replica(start_daemon, folder, postgres_url, "replica-c", *ttl)
    store = open_server(postgres_url)
    assert isinstance(store, PostgresStore)
    evaluated = lambda tag: all(  # noqa: E731
        (p := store.get_policy(f"apps/app{i}")) and p.latest_ref and p.latest_ref.tag == tag
        for i in range(n)
    )
    wait_until(lambda: evaluated("1.0.0"), 30, a)

    # New tags; one replica killed while it holds leases.
    for repo in repos:
        push_tags(registry, repo, ["1.1.0"])
    wait_until(lambda: held_by(store, "replica-a"), 10, a)
    os.kill(a.popen.pid, signal.SIGKILL)
    a.popen.wait(timeout=10)
    wait_until(lambda: _landed(fleet, "1.1.0"), 40, b)
    assert any(m.startswith("took over") for p in (b, c) for m in p.messages())

    # The database restarts: replicas report not ready, back off, resume.
    postgres_server.stop()
    try:
        wait_until(lambda: ready(port_b) == 503, 20, b)
    finally:
        postgres_server.start()  # the server is shared by the session: never leave it down
    wait_until(lambda: ready(port_b) == 200, 30, b)
    for repo in repos:
        push_tags(registry, repo, ["1.2.0"])
    wait_until(lambda: _landed(fleet, "1.2.0"), 40, b)
    metrics = httpx.get(f"http://127.0.0.1:{port_b}/metrics", timeout=5).text
    assert 'image_automation_replica_info{replica="replica-b"} 1.0' in metrics
    assert "image_automation_leases_held " in metrics
    assert b.terminate() == 0 and c.terminate() == 0

    # Exactly once: each file changed by one commit per new tag, one history generation each.
    for i in range(n):
        commits = git(
            "log", "--format=%H", "main", "--", fleet.path_of(i), cwd=fleet.remote_of(i)
        ).split()
        assert len(commits) == 3, (i, commits)  # seed, 1.1.0, 1.2.0
        tags = [h.ref.tag for h in store.history(f"apps/app{i}")]
        assert tags == ["1.0.0", "1.1.0", "1.2.0"], (i, tags)
    store.close()


def _landed(fleet: Fleet, tag: str) -> bool:
    return all(
        read_file_at(fleet.remote_of(i), "main", fleet.path_of(i)) == fleet.file(i, tag)
        for i in range(len(fleet.repos))
    )


def _takeover(
    tmp_path: Path,
    url: str,
    start_daemon: StartDaemon,
    ttl: str,
    stop: Callable[[DaemonProcess], None],
) -> tuple[float, set[str], str]:
    """Replica a holds every (hanging) scan; `stop(a)`; seconds until b holds them all, b's
    takeover messages and its /metrics then."""
    with silent_registry() as host:
        fleet = make_fleet(tmp_path, host, [f"hang/app{i}" for i in range(6)], 1)
        folder = tmp_path / "policies"
        folder.mkdir()
        (folder / "all.yaml").write_text(policy_text(fleet, "1h"))
        store = open_server(url)
        assert isinstance(store, PostgresStore)
        extra = ("--lease-ttl", ttl, "--jitter", "0s")
        a, _ = replica(start_daemon, folder, url, "replica-a", *extra)
        scans = {f"scan:apps/app{i}" for i in range(6)}
        wait_until(lambda: held_by(store, "replica-a") == scans, 15, a)
        b, port = replica(start_daemon, folder, url, "replica-b", *extra)
        started = time.monotonic()
        stop(a)
        wait_until(lambda: held_by(store, "replica-b") == scans, 30, b)
        seconds = time.monotonic() - started
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        messages = b.messages()
        b.popen.kill()
        store.close()
        return seconds, {m for m in messages if m.startswith("took over")}, metrics


def test_a_killed_replica_is_taken_over_within_twice_the_ttl(
    tmp_path: Path, postgres_url: str, start_daemon: StartDaemon
) -> None:
    def kill(proc: DaemonProcess) -> None:
        proc.popen.kill()
        proc.popen.wait(timeout=10)

    seconds, takeovers, metrics = _takeover(tmp_path, postgres_url, start_daemon, f"{TTL:g}s", kill)
    assert seconds <= 2 * TTL
    assert len(takeovers) == 6 and all("from replica-a" in m for m in takeovers)
    assert 'image_automation_replica_info{replica="replica-b"} 1.0' in metrics
    assert "\nimage_automation_lease_takeovers_total 6.0\n" in metrics
    assert "\nimage_automation_leases_held 6.0\n" in metrics


def test_sigterm_hands_work_over_without_waiting_for_the_ttl(
    tmp_path: Path, postgres_url: str, start_daemon: StartDaemon
) -> None:
    seconds, takeovers, metrics = _takeover(
        tmp_path, postgres_url, start_daemon, "5m", lambda p: p.terminate()
    )
    assert seconds < 10 and not takeovers  # handed back, not expired
    assert "\nimage_automation_lease_takeovers_total 0.0\n" in metrics
    assert "\nimage_automation_leases_held 6.0\n" in metrics


SHARDED = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {{name: fleet, namespace: apps}}
spec: {{url: {remote}, ref: {{branch: main}}}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {{name: app0, namespace: apps, labels: {{sharding.fluxcd.io/key: blue}}}}
spec: {{image: {image}, interval: 1h, insecure: true}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {{name: app0, namespace: apps, labels: {{sharding.fluxcd.io/key: blue}}}}
spec:
  imageRepositoryRef: {{name: app0}}
  policy: {{semver: {{range: "^1.0"}}}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {{name: fleet, namespace: apps, labels: {{sharding.fluxcd.io/key: blue}}}}
spec:
  interval: 1h
  sourceRef: {{kind: GitRepository, name: fleet}}
  git:
    commit:
      author: {{name: bot, email: bot@example.com}}
      messageTemplate: "Update {{{{ .AutomationObject }}}}"
  update: {{path: ./clusters}}
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata: {{name: hook, namespace: apps}}
spec:
  type: generic
  secretRef: {{name: hook-token}}
  resources: [{{kind: ImageRepository, name: app0}}]
"""

TOKEN_SECRET = """\
apiVersion: v1
kind: Secret
metadata: {name: hook-token, namespace: apps}
stringData: {token: replica-test-token}
"""


def test_a_webhook_to_any_replica_reaches_the_shard_that_runs_the_object(
    registry: RegistryServer, postgres_url: str, tmp_path: Path, start_daemon: StartDaemon
) -> None:
    repo = unique_repo("shard")
    push_tags(registry, repo, ["1.0.0"])
    fleet = make_fleet(tmp_path, registry.host, [repo], 1)
    folder = tmp_path / "policies"
    folder.mkdir()
    text = SHARDED.format(remote=fleet.remotes[0].as_uri(), image=fleet.image(0))
    (folder / "all.yaml").write_text(text)
    (tmp_path / "secret.yaml").write_text(TOKEN_SECRET)
    extra = ("--jitter", "0s", "--secrets", str(tmp_path / "secret.yaml"))
    blue, _ = replica(start_daemon, folder, postgres_url, "blue", "--shard", "blue", *extra)
    plain, port = replica(start_daemon, folder, postgres_url, "plain", *extra)
    store = open_server(postgres_url)
    wait_until(lambda: (p := store.get_policy("apps/app0")) and p.latest_ref, 15, blue)
    push_tags(registry, repo, ["1.1.0"])

    path = webhook_path(b"replica-test-token", "hook", "apps")
    answer = httpx.post(f"http://127.0.0.1:{port}{path}", json={}, timeout=5)
    assert answer.status_code == 202
    wait_until(lambda: _landed(fleet, "1.1.0"), 15, blue)  # scan interval: 1h
    assert any(m == "scan apps/app0 requested" for m in plain.messages())
    assert not any("apps/" in m and m.startswith("automation") for m in plain.messages())
    store.close()
    assert blue.terminate() == 0 and plain.terminate() == 0


def test_shard_label_and_branch_lock_names(tmp_path: Path) -> None:
    text = SHARDED.format(remote="https://git.example.com:8443/org/fleet.git", image="r.test/a")
    text += "---\n" + textwrap.dedent("""\
        apiVersion: image.toolkit.fluxcd.io/v1
        kind: ImageRepository
        metadata: {name: plain, namespace: apps}
        spec: {image: r.test/b, interval: 1h}
        """)
    (tmp_path / "all.yaml").write_text(text)
    (tmp_path / "secret.yaml").write_text(TOKEN_SECRET)
    config = load_config([tmp_path / "all.yaml"], [tmp_path / "secret.yaml"])
    shards = {spec.job_id: shard_of(config, spec) for spec in desired_jobs(config).values()}
    assert shards == {
        "scan:apps/app0": "blue",
        "scan:apps/plain": "",
        "automation:apps/fleet": "blue",
    }
    auto = config.automations[ObjectKey("apps", "fleet")]
    assert git_lock_name(config, auto) == "git:https://git.example.com:8443/org/fleet.git#main"


def test_shared_schedulers_run_each_due_job_once_and_triggers_reach_the_holder(
    postgres_url: str,
) -> None:
    asyncio.run(_two_schedulers(postgres_url))


async def _two_schedulers(url: str) -> None:
    stores = [open_server(url), open_server(url)]
    # 16 jobs at once each, 31 jobs held until all have started: both must take a share.
    pair = [
        SharedScheduler(s, ReplicaOptions(name, poll_seconds=0.1, capacity=16))
        for s, name in zip(stores, ("a", "b"), strict=True)
    ]
    ran: list[tuple[str, str]] = []
    started, gate = asyncio.Event(), asyncio.Event()

    def job(owner: str, name: str) -> JobFunc:
        async def run() -> timedelta | None:
            ran.append((owner, name))
            await (gate if name == "scan:ns/slow" else started).wait()
            await asyncio.sleep(0.02)
            return None

        return run

    names = [f"scan:ns/r{i}" for i in range(30)] + ["scan:ns/slow"]
    now = datetime.now(UTC)
    for s in pair:
        s.start()
        for name in names:
            s.ensure(name, timedelta(hours=1), job(s.options.replica_id, name), first_run=now)
    await _until(lambda: len(ran) == len(names))
    started.set()
    await asyncio.sleep(0.3)
    assert sorted(n for _, n in ran) == sorted(names)  # each once
    assert {o for o, _ in ran} == {"a", "b"}  # both took a share
    (holder,) = [o for o, n in ran if n == "scan:ns/slow"]
    other = pair[1] if holder == "a" else pair[0]
    other.trigger_now("scan:ns/slow")  # e.g. a webhook on the replica that does not hold it
    await asyncio.sleep(0.3)
    gate.set()
    await _until(lambda: len(ran) == len(names) + 1)
    await asyncio.sleep(0.3)
    assert [n for _, n in ran[len(names) :]] == ["scan:ns/slow"]  # once more, not twice
    for s in pair:
        await s.shutdown()
    for st in stores:
        st.close()


async def _until(probe: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, "not reached in time"
        await asyncio.sleep(0.02)


def test_an_automation_whose_branch_another_replica_holds_waits_without_failing(
    tmp_path: Path,
) -> None:
    text = SHARDED.format(remote=(tmp_path / "none.git").as_uri(), image="r.test/a")
    (tmp_path / "all.yaml").write_text(text)
    (tmp_path / "secret.yaml").write_text(TOKEN_SECRET)
    config = load_config([tmp_path / "all.yaml"], [tmp_path / "secret.yaml"])
    store = open_store(tmp_path / "state.db")
    chain = Chain(config, store, _NoTriggers(), tmp_path / "cache", utc_now, git_workers=1)
    asked: list[str] = []

    @contextmanager
    def busy(auto: ImageUpdateAutomation) -> Iterator[bool]:
        asked.append(str(auto.key))
        yield False

    chain.git_lock = busy
    assert asyncio.run(chain.automate("apps/fleet")) == BRANCH_BUSY_RETRY
    assert asked == ["apps/fleet"] and not chain.failures  # not counted as a failure
    assert store.get_automation("apps/fleet") is None  # nothing ran
    chain.close()
    store.close()


class _NoTriggers:
    def trigger_now(self, job_id: str) -> None:
        raise AssertionError(job_id)
