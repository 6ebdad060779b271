"""Several `run` replicas on one real PostgreSQL database, the real registry, real git remotes.

Replicas are separate processes sharing only the database: leases decide who runs what, a
killed replica's work is taken over after its lease TTL, a terminated one hands it back at
once, and every change lands exactly once however the work moved between replicas.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx

from automation.state import open_store
from automation.state.leases import LeaseBoard
from automation.state.postgres import PostgresStore
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
    args = ("--state", url, "--replica-id", name, "--listen", f"127.0.0.1:{port}", *extra)
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
    store = open_store(postgres_url)
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
    wait_until(lambda: ready(port_b) == 503, 20, b)
    postgres_server.start()
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
) -> tuple[float, set[str]]:
    """Replica a holds every (hanging) scan; `stop(a)`; seconds until b holds them all."""
    with silent_registry() as host:
        fleet = make_fleet(tmp_path, host, [f"hang/app{i}" for i in range(6)], 1)
        folder = tmp_path / "policies"
        folder.mkdir()
        (folder / "all.yaml").write_text(policy_text(fleet, "1h"))
        store = open_store(url)
        assert isinstance(store, PostgresStore)
        extra = ("--lease-ttl", ttl, "--jitter", "0s")
        a, _ = replica(start_daemon, folder, url, "replica-a", *extra)
        scans = {f"scan:apps/app{i}" for i in range(6)}
        wait_until(lambda: held_by(store, "replica-a") == scans, 15, a)
        b, _ = replica(start_daemon, folder, url, "replica-b", *extra)
        started = time.monotonic()
        stop(a)
        wait_until(lambda: held_by(store, "replica-b") == scans, 30, b)
        seconds = time.monotonic() - started
        messages = b.messages()
        b.popen.kill()
        store.close()
        return seconds, {m for m in messages if m.startswith("took over")}


def test_a_killed_replica_is_taken_over_within_twice_the_ttl(
    tmp_path: Path, postgres_url: str, start_daemon: StartDaemon
) -> None:
    def kill(proc: DaemonProcess) -> None:
        proc.popen.kill()
        proc.popen.wait(timeout=10)

    seconds, takeovers = _takeover(tmp_path, postgres_url, start_daemon, f"{TTL:g}s", kill)
    assert seconds <= 2 * TTL
    assert len(takeovers) == 6 and all("from replica-a" in m for m in takeovers)


def test_sigterm_hands_work_over_without_waiting_for_the_ttl(
    tmp_path: Path, postgres_url: str, start_daemon: StartDaemon
) -> None:
    seconds, takeovers = _takeover(
        tmp_path, postgres_url, start_daemon, "5m", lambda p: p.terminate()
    )
    assert seconds < 10 and not takeovers  # handed back, not expired
